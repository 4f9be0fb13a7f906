"""Logistic regression from scratch: starter module.

Fill in the five functions below (replace each ``raise NotImplementedError`` with your code),
keeping their names and parameters exactly as given, then check your work from a terminal:

    grader check starter.py --assignment logistic-regression-from-scratch

The model has no intercept: :math:`P(y_i = 1 \\mid x_i) = \\sigma(x_i^\\top w)`. We fit it by
gradient ASCENT on the log-likelihood, using the summed (not averaged) gradient. The grader calls
your functions with its own inputs, including pandas objects and very large logits, and compares
with a reference solution. Use numpy (scipy is allowed); do not modify the arrays you are given.
"""

from __future__ import annotations

import numpy as np  # noqa: F401  (you will need it)


def predict_y(X, w):
    r"""The linear predictor :math:`z = X w`.

    .. math::

        z_i = \sum_{j=1}^{d} X_{ij} w_j

    Parameters
    ----------
    X : numpy.ndarray of shape (n, d)
        Design matrix, one row per observation.
    w : numpy.ndarray of shape (d,)
        Weights.

    Returns
    -------
    numpy.ndarray of shape (n,)
        A 1-D array (not an ``(n, 1)`` column).
    """
    raise NotImplementedError("predict_y")


def sigmoid(x):
    r"""The logistic function, elementwise and numerically stable.

    .. math::

        \sigma(x) = \frac{1}{1 + e^{-x}}

    It must stay exact for ``|x|`` up to ``1e4`` without ``nan`` or ``inf`` (values are checked;
    an overflow warning that still gives the exact 0 or 1 costs nothing):
    ``np.exp(x) / (1 + np.exp(x))`` is ``inf / inf = nan`` for ``x = 1000``. Compute only
    ``np.exp(-np.abs(x))`` (use :math:`\sigma(x) = e^{x} / (1 + e^{x})` for negative ``x``), or use
    ``scipy.special.expit``.

    Parameters
    ----------
    x : float or numpy.ndarray
        Any shape.

    Returns
    -------
    float or numpy.ndarray
        A float for a scalar ``x``, otherwise an array of the same shape as ``x``.
    """
    raise NotImplementedError("sigmoid")


def log_likelihood(X, y, w):
    r"""The Bernoulli log-likelihood of logistic regression.

    .. math::

        \ell(w) = \sum_{i=1}^{n} \left[ y_i \log \sigma(z_i) + (1 - y_i) \log(1 - \sigma(z_i))
        \right] = \sum_{i=1}^{n} \left[ y_i z_i - \log\left(1 + e^{z_i}\right) \right],
        \qquad z = X w

    Use the second form and compute :math:`\log(1 + e^{z})` as ``np.logaddexp(0, z)``: with
    logits of a few hundred, ``np.log(sigmoid(z))`` or ``np.log(1 - sigmoid(z))`` is
    ``log(0) = -inf``.

    Parameters
    ----------
    X : numpy.ndarray of shape (n, d)
    y : numpy.ndarray of shape (n,)
        Labels, 0 or 1.
    w : numpy.ndarray of shape (d,)

    Returns
    -------
    float
        The log-likelihood (``<= 0``).
    """
    raise NotImplementedError("log_likelihood")


def gradient_step(X, y, w, alpha):
    r"""One step of gradient ASCENT on the log-likelihood.

    .. math::

        \nabla_w \ell(w) = X^\top \left( y - \sigma(X w) \right), \qquad
        w_{\text{new}} = w + \alpha \, \nabla_w \ell(w)

    The gradient is the SUM over observations (not the mean), and the step goes uphill (``+``).

    Parameters
    ----------
    X : numpy.ndarray of shape (n, d)
    y : numpy.ndarray of shape (n,)
    w : numpy.ndarray of shape (d,)
        Current weights. Must not be modified: return a new array (``w + ...``, not ``w += ...``).
    alpha : float
        Step size.

    Returns
    -------
    numpy.ndarray of shape (d,)
        The new weights.
    """
    raise NotImplementedError("gradient_step")


def grad_desc(X, y, max_iterations, alpha, initial_weights=None):
    r"""Fit the weights by ``max_iterations`` steps of gradient ascent.

    .. math::

        w_0 = \mathbf{1} \text{ (or } \texttt{initial\_weights}\text{)}, \qquad
        w_{k+1} = w_k + \alpha \, X^\top \left( y - \sigma(X w_k) \right),
        \quad k = 0, \dots, \texttt{max\_iterations} - 1

    (The lab calls it ``grad_desc``, but it climbs: we maximise the log-likelihood.)

    Parameters
    ----------
    X : numpy.ndarray or pandas.DataFrame of shape (n, d)
    y : numpy.ndarray or pandas.Series of shape (n,)
        Convert pandas input with ``np.asarray`` first: ``Series - ndarray`` works, but an
        ``(n, 1)`` column minus an ``(n,)`` array broadcasts to an ``(n, n)`` matrix.
    max_iterations : int
        Exactly this many steps are taken (0 returns the starting weights).
    alpha : float
        Step size.
    initial_weights : numpy.ndarray of shape (d,), optional
        Starting weights; ``None`` (the default) means ``np.ones(d)``. Test it with
        ``initial_weights is None`` (``== None`` fails on arrays). Must not be modified.

    Returns
    -------
    numpy.ndarray of shape (d,)
        The final weights. Also accepted: a ``(d, 1)`` column, or a tuple
        ``(weights, history)`` whose first element is the weights.
    """
    raise NotImplementedError("grad_desc")
