"""Gradient descent on a residual sum of squares: starter module.

Fill in the four functions below (replace each ``raise NotImplementedError`` with your code),
keeping their names and parameters exactly as given, then check your work from a terminal:

    grader check starter.py --assignment gradient-descent

The model is a line through the origin, :math:`\\hat y = m x`, fitted by minimising the residual
sum of squares over the slope ``m``. The grader calls your functions with its own inputs (numpy
arrays and pandas Series, and its own functions ``grad`` and ``f``) and compares with a reference
solution. The optional ``cur_x`` question (the lab's descent loop) lives in the notebook.
"""

from __future__ import annotations

import numpy as np  # noqa: F401  (you will need it)


def rss(m, X, y):
    r"""Residual sum of squares of the slope ``m``.

    .. math::

        \mathrm{RSS}(m) = \sum_{i=1}^{n} \left( y_i - m X_i \right)^2

    Parameters
    ----------
    m : float
        The slope.
    X, y : numpy.ndarray or pandas.Series of shape (n,)
        Feature and target.

    Returns
    -------
    float
        The sum (not the mean) of the squared residuals.
    """
    raise NotImplementedError("rss")


def rss_derivative(m, X, y):
    r"""Derivative of the RSS with respect to the slope.

    .. math::

        \frac{d\,\mathrm{RSS}}{dm} = -2 \sum_{i=1}^{n} X_i \left( y_i - m X_i \right)

    Parameters
    ----------
    m : float
    X, y : numpy.ndarray or pandas.Series of shape (n,)

    Returns
    -------
    float
        Negative where increasing ``m`` lowers the RSS.
    """
    raise NotImplementedError("rss_derivative")


def gradient_descent(grad, start, alpha, max_iterations, precision):
    r"""Fixed-step gradient descent with two stopping rules.

    .. math::

        x_0 = \texttt{start}, \qquad x_{k+1} = x_k - \alpha \, \texttt{grad}(x_k)

    Stop right after the first step with :math:`|x_{k+1} - x_k| <` ``precision`` (strictly
    less; that step is kept), or after ``max_iterations`` steps, whichever comes first. With
    ``max_iterations = 0`` no step is taken and ``start`` comes back.

    Parameters
    ----------
    grad : callable
        ``grad(x)`` returns the derivative at ``x``.
    start : float
        Starting point.
    alpha : float
        Step size.
    max_iterations : int
        Largest number of steps.
    precision : float
        Stop once a step is smaller than this (``0`` never stops early).

    Returns
    -------
    float
        The last point. Also accepted: a tuple ``(point, path)`` with ``path`` the array of
        every point visited, starting with ``start``.
    """
    raise NotImplementedError("gradient_descent")


def multi_start_descent(f, grad, starts, alpha, max_iterations):
    r"""Gradient descent from several starts; keep the end point with the lowest ``f``.

    For each start :math:`s_j`, :math:`p_j` = ``gradient_descent(grad, s_j, alpha,
    max_iterations, precision=1e-8)``; return

    .. math::

        p_{j^*}, \qquad j^* = \arg\min_j f(p_j)

    (on an exact tie, the earliest start wins).

    Parameters
    ----------
    f : callable
        The objective, ``f(x)`` a number.
    grad : callable
        Its derivative.
    starts : numpy.ndarray of shape (k,)
        Starting points.
    alpha : float
    max_iterations : int
        Passed to every descent, with ``precision = 1e-8``.

    Returns
    -------
    float
        The best end point (a point, not its ``f`` value).
    """
    raise NotImplementedError("multi_start_descent")
