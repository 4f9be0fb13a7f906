r"""Gradient descent on the residual sum of squares of the no-intercept model :math:`y = m X`.

``X`` and ``y`` are 1-D (numpy arrays, lists or pandas Series; a single column is accepted) of
the same length. The slope ``m`` may be a scalar (a ``float`` comes back) or an array of slopes
of any shape (an array of that shape comes back).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple, overload

import numpy as np
import numpy.typing as npt

from reference._arrays import (
    FloatArray,
    as_count,
    as_float_array,
    as_real,
    as_vector,
    check_same_length,
    finish,
    is_scalar_input,
)

__all__ = [
    "DescentResult",
    "gradient_descent",
    "lab_descent",
    "least_squares_slope",
    "public_lab_descent",
    "rss",
    "rss_derivative",
]

Gradient = Callable[[Any], npt.ArrayLike]


class DescentResult(NamedTuple):
    """Result of a descent; unpacks as ``point, path``.

    Attributes
    ----------
    point : float or ndarray
        The last iterate: a ``float`` for a scalar start, an array for a vector start.
    path : ndarray of shape (iterations + 1,) or (iterations + 1, d)
        The start followed by every iterate, so ``path[-1] == point`` and
        ``len(path) - 1`` is the number of steps taken.
    """

    point: float | FloatArray
    path: FloatArray


def _xy(X: npt.ArrayLike, y: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    X_ = as_vector(X, "X")
    y_ = as_vector(y, "y")
    check_same_length(X_, y_, "X and y")
    return X_, y_


def _residuals(m: FloatArray, X: FloatArray, y: FloatArray) -> FloatArray:
    # Slopes broadcast against a trailing sample axis: shape m.shape + (n,).
    residuals: FloatArray = y - m[..., np.newaxis] * X
    return residuals


def _rss(m: FloatArray, X: FloatArray, y: FloatArray) -> FloatArray:
    total: FloatArray = np.sum(_residuals(m, X, y) ** 2, axis=-1)
    return total


@overload
def rss(m: float, X: npt.ArrayLike, y: npt.ArrayLike) -> float: ...
@overload
def rss(m: npt.NDArray[Any], X: npt.ArrayLike, y: npt.ArrayLike) -> FloatArray: ...
@overload
def rss(m: npt.ArrayLike, X: npt.ArrayLike, y: npt.ArrayLike) -> float | FloatArray: ...
def rss(m: npt.ArrayLike, X: npt.ArrayLike, y: npt.ArrayLike) -> float | FloatArray:
    r"""Residual sum of squares of the slope ``m``.

    .. math::

        \mathrm{RSS}(m) = \sum_{i=1}^{n} \left( y_i - m X_i \right)^2

    Parameters
    ----------
    m : float or array_like
        One slope, or an array of slopes (vectorised: one RSS per slope).
    X, y : array_like of shape (n,)
        Feature and target (ndarray, list or pandas Series).

    Returns
    -------
    float or ndarray
        ``float`` for a scalar ``m``; otherwise an array of the shape of ``m``.
    """
    X_, y_ = _xy(X, y)
    return finish(_rss(as_float_array(m, "m"), X_, y_), is_scalar_input(m))


@overload
def rss_derivative(m: float, X: npt.ArrayLike, y: npt.ArrayLike) -> float: ...
@overload
def rss_derivative(m: npt.NDArray[Any], X: npt.ArrayLike, y: npt.ArrayLike) -> FloatArray: ...
@overload
def rss_derivative(m: npt.ArrayLike, X: npt.ArrayLike, y: npt.ArrayLike) -> float | FloatArray: ...
def rss_derivative(m: npt.ArrayLike, X: npt.ArrayLike, y: npt.ArrayLike) -> float | FloatArray:
    r"""Derivative of the RSS with respect to the slope.

    .. math::

        \frac{d\,\mathrm{RSS}}{dm} = -2 \sum_{i=1}^{n} X_i \left( y_i - m X_i \right)

    Parameters
    ----------
    m : float or array_like
        One slope, or an array of slopes.
    X, y : array_like of shape (n,)

    Returns
    -------
    float or ndarray
        ``float`` for a scalar ``m``; otherwise an array of the shape of ``m``. Negative left
        of the minimiser :func:`least_squares_slope`, positive right of it.
    """
    X_, y_ = _xy(X, y)
    m_ = as_float_array(m, "m")
    return finish(-2.0 * np.sum(X_ * _residuals(m_, X_, y_), axis=-1), is_scalar_input(m))


def least_squares_slope(X: npt.ArrayLike, y: npt.ArrayLike) -> float:
    r"""The exact minimiser of :func:`rss`: :math:`m^* = \sum_i X_i y_i / \sum_i X_i^2`.

    Raises
    ------
    ValueError
        If every ``X_i`` is 0 (the RSS is then flat in ``m``).
    """
    X_, y_ = _xy(X, y)
    sxx = float(np.dot(X_, X_))
    if sxx == 0.0:
        raise ValueError("least_squares_slope needs at least one non-zero X; the RSS is flat")
    return float(np.dot(X_, y_)) / sxx


def gradient_descent(
    grad: Gradient,
    start: npt.ArrayLike,
    alpha: float,
    max_iterations: int,
    precision: float,
) -> DescentResult:
    r"""Fixed-step gradient descent with a step-size stopping rule.

    .. math::

        x_{k+1} = x_k - \alpha \, \nabla f(x_k), \qquad k = 0, 1, \ldots

    Stop right after the first step with :math:`\max_j |x_{k+1, j} - x_{k, j}| <`
    ``precision`` (plain ``|x_{k+1} - x_k|`` for a scalar), or after ``max_iterations`` steps,
    whichever comes first.

    Parameters
    ----------
    grad : callable
        ``grad(x)`` returns the gradient at ``x``, of the same shape as ``x``. It receives a
        ``float`` for a scalar start and a fresh array copy for a vector start.
    start : float or array_like of shape (d,)
        Starting point (copied; never modified).
    alpha : float
        Step size (finite).
    max_iterations : int
        Maximum number of steps (``>= 0``; 0 returns the start).
    precision : float
        Stopping threshold on the step size (``>= 0``; 0 never stops early). The comparison is
        strict (``<``).

    Returns
    -------
    DescentResult
        ``(point, path)``: ``point`` is a ``float`` for a Python/NumPy scalar start and an
        array otherwise; ``path`` holds the start and every iterate, shape
        ``(steps + 1,)`` or ``(steps + 1, d)``.

    Notes
    -----
    A diverging run (non-finite step) never meets the precision rule, so it runs to
    ``max_iterations``; no special handling is done.
    """
    step_size = as_real(alpha, "alpha")
    n_steps = as_count(max_iterations, "max_iterations")
    threshold = as_real(precision, "precision", minimum=0.0)
    x = as_float_array(start, "start")
    if x.ndim > 1:
        raise ValueError(f"start must be a scalar or a 1-D point; got shape {x.shape}")
    if x.ndim == 0:
        path = _scalar_descent(grad, float(x), step_size, n_steps, threshold)
        return DescentResult(
            point=float(path[-1]) if is_scalar_input(start) else np.array(path[-1]), path=path
        )
    points = [x]
    for _ in range(n_steps):
        g = as_float_array(grad(x.copy()), "grad(x)")
        if g.shape != x.shape:
            raise ValueError(
                f"grad(x) must have the shape of the point {x.shape}; got shape {g.shape}"
            )
        with np.errstate(over="ignore", invalid="ignore"):  # divergence is the caller's to see
            new = x - step_size * g
            step = float(np.max(np.abs(new - x), initial=0.0))
        points.append(new)
        x = new
        if step < threshold:
            break
    return DescentResult(point=x.copy(), path=np.stack(points))


def _scalar_descent(
    grad: Gradient, x: float, step_size: float, n_steps: int, threshold: float
) -> FloatArray:
    # The same update in plain Python floats (IEEE doubles, bit-identical to numpy's float64
    # arithmetic, and silent on overflow), about ten times faster than 0-d arrays.
    path = [x]
    for _ in range(n_steps):
        g = grad(x)
        if np.ndim(g) != 0:
            raise ValueError(
                f"grad(x) must have the shape of the point (); got shape {np.shape(g)}"
            )
        new = x - step_size * float(g)  # type: ignore[arg-type]
        path.append(new)
        step = abs(new - x)
        x = new
        if step < threshold:
            break
    return np.array(path, dtype=np.float64)


def lab_descent(
    X: npt.ArrayLike,
    y: npt.ArrayLike,
    start: float,
    alpha: float,
    precision: float,
    max_iterations: int,
    h: float,
) -> DescentResult:
    r"""The course lab's descent loop on the RSS, as stated in our assignment (result ``cur_x``).

    The algorithm, exactly (``rss`` is :func:`rss` with the given ``X`` and ``y``)::

        cur_x = start
        previous_step_size = 1        # as in the lab: so the loop runs while precision < 1
        iters = 0
        while previous_step_size > precision and iters < max_iterations:
            prev_x = cur_x
            gradient = (rss(cur_x + h) - rss(cur_x - h)) / (2 * h)   # central difference
            cur_x = cur_x - alpha * gradient
            previous_step_size = abs(cur_x - prev_x)
            iters = iters + 1

    i.e. :math:`x_{k+1} = x_k - \alpha\,[\mathrm{RSS}(x_k + h) - \mathrm{RSS}(x_k - h)]/(2h)`,
    stopping as soon as a step has :math:`|x_{k+1} - x_k| \le` ``precision`` (the loop
    continues only while the last step is strictly greater), or after ``max_iterations``
    steps. With ``precision >= 1`` no step is taken (the lab's initialisation).

    Parameters
    ----------
    X, y : array_like of shape (n,)
    start : float
        Initial slope ``cur_x``.
    alpha : float
        Step size.
    precision : float
        Stopping threshold on ``|cur_x - prev_x|``.
    max_iterations : int
        Maximum number of steps (``>= 0``).
    h : float
        Half-width of the central difference (``> 0``).

    Returns
    -------
    DescentResult
        ``point`` is the lab's final ``cur_x`` (a ``float``); ``path`` is ``cur_x`` before the
        loop and after every step.

    Notes
    -----
    The RSS is quadratic, so the central difference equals :math:`\mathrm{RSS}'(m)` up to
    rounding (cancellation of order ``eps * RSS / h``). The loop still stops NEAR, not at, the
    minimiser :func:`least_squares_slope`: it quits once a step is ``<= precision``, while the
    remaining distance is about ``step / (2 alpha sum X^2)``.

    The public lab this follows differs in its gradient (see :func:`public_lab_descent`).
    """
    X_, y_ = _xy(X, y)
    cur_x = as_real(start, "start")
    step_size = as_real(alpha, "alpha")
    threshold = as_real(precision, "precision", minimum=0.0)
    n_steps = as_count(max_iterations, "max_iterations")
    width = as_real(h, "h")
    if width <= 0.0:
        raise ValueError(f"h must be > 0; got {width!r}")
    path = [cur_x]
    previous_step_size = 1.0
    iters = 0
    while previous_step_size > threshold and iters < n_steps:
        prev_x = cur_x
        ahead = float(np.sum((y_ - (cur_x + width) * X_) ** 2))
        behind = float(np.sum((y_ - (cur_x - width) * X_) ** 2))
        derivative = (ahead - behind) / (2.0 * width)
        cur_x = cur_x - step_size * derivative
        previous_step_size = abs(cur_x - prev_x)
        iters += 1
        path.append(cur_x)
    return DescentResult(point=cur_x, path=np.array(path))


def public_lab_descent(
    X: npt.ArrayLike,
    y: npt.ArrayLike,
    start: float = 1.5,
    alpha: float = 1e-7,
    precision: float = 1e-7,
    max_iterations: int = 10_000,
) -> DescentResult:
    r"""The public "Gradient Descent - Lab" loop, verbatim, quirks included (for diagnosis).

    The public lab (linear regression on movie budgets, result ``cur_x``) estimates its
    "gradient" from a survey grid instead of a derivative formula::

        cur_x, previous_step_size, iters = start, 1, 0
        while (previous_step_size > precision) & (iters < max_iterations):
            prev_x = cur_x
            x_survey_region = np.linspace(cur_x - previous_step_size,
                                          cur_x + previous_step_size, num=101)
            rss_survey_region = [np.sqrt(rss(m)) for m in x_survey_region]
            gradient = np.gradient(rss_survey_region)[50]
            cur_x -= alpha * gradient
            previous_step_size = abs(cur_x - prev_x)
            iters += 1

    So its "gradient" is :math:`[\sqrt{\mathrm{RSS}}(x + \delta) - \sqrt{\mathrm{RSS}}(x -
    \delta)] / 2` with :math:`\delta` = ``previous_step_size / 50`` (up to ``linspace``
    rounding): the derivative of :math:`\sqrt{\mathrm{RSS}}` (same minimiser as the RSS) times
    a grid spacing that shrinks with the steps. The defaults are the lab's constants. A student
    who copies this loop instead of the stated one (:func:`lab_descent`) stops elsewhere.
    """
    X_, y_ = _xy(X, y)
    cur_x = as_real(start, "start")
    step_size = as_real(alpha, "alpha")
    threshold = as_real(precision, "precision", minimum=0.0)
    n_steps = as_count(max_iterations, "max_iterations")
    path = [cur_x]
    previous_step_size = 1.0
    iters = 0
    while previous_step_size > threshold and iters < n_steps:
        prev_x = cur_x
        region = np.linspace(cur_x - previous_step_size, cur_x + previous_step_size, num=101)
        rss_region = np.sqrt(_rss(region, X_, y_))
        cur_x = cur_x - step_size * float(np.gradient(rss_region)[50])
        previous_step_size = abs(cur_x - prev_x)
        iters += 1
        path.append(cur_x)
    return DescentResult(point=cur_x, path=np.array(path))
