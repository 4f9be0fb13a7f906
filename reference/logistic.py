r"""Logistic regression without an intercept, fitted by gradient ASCENT on the log-likelihood.

Model: :math:`P(y_i = 1 \mid x_i) = \sigma(x_i^\top w)` with :math:`\sigma(z) = 1 / (1 + e^{-z})`.

Shapes: ``X`` is ``(n, d)``; ``y`` is ``(n,)`` (a single column ``(n, 1)`` is accepted); ``w`` is
``(d,)``. Where it makes sense ``w`` may also carry batch axes, ``(d, k1, k2, ...)``: every
trailing index is a separate weight vector, and the result gets those axes (``predict_y`` gives
``(n, k1, ...)``, ``log_likelihood`` gives ``(k1, ...)``, ``gradient`` gives ``(d, k1, ...)``).

Labels ``y`` must lie in ``[0, 1]``; they are 0/1 in the course, soft labels work unchanged.
"""

from __future__ import annotations

from typing import Any, NamedTuple, overload

import numpy as np
import numpy.typing as npt

from reference._arrays import (
    FloatArray,
    IntArray,
    as_count,
    as_float_array,
    as_matrix,
    as_real,
    as_vector,
    finish,
    is_scalar_input,
)

__all__ = [
    "FitResult",
    "grad_desc",
    "gradient",
    "gradient_step",
    "log_likelihood",
    "log_sigmoid",
    "logistic_fit",
    "predict",
    "predict_proba",
    "predict_y",
    "sigmoid",
]


class FitResult(NamedTuple):
    """Result of :func:`logistic_fit` / :func:`grad_desc`; unpacks as ``weights, history``.

    Attributes
    ----------
    weights : ndarray of shape (d,)
        The weights after the last step (a new array; never the caller's initial weights).
    history : ndarray of shape (iterations,)
        ``history[k]`` is the log-likelihood AFTER step ``k + 1``; its length is the number of
        steps actually taken (empty when no step was taken).
    """

    weights: FloatArray
    history: FloatArray


# --------------------------------------------------------------------------- sigmoid


def _sigmoid(z: FloatArray) -> FloatArray:
    # exp(-|z|) lies in [0, 1], so nothing overflows; each branch is the algebraically exact
    # form for its sign, so the tails keep full RELATIVE precision (sigma(-40) = 4.2e-18, not 0).
    e = np.exp(-np.abs(z))
    denominator = 1.0 + e
    return np.where(z >= 0, 1.0 / denominator, e / denominator)


@overload
def sigmoid(z: float) -> float: ...
@overload
def sigmoid(z: npt.NDArray[Any]) -> FloatArray: ...
@overload
def sigmoid(z: npt.ArrayLike) -> float | FloatArray: ...
def sigmoid(z: npt.ArrayLike) -> float | FloatArray:
    r"""The logistic function, elementwise and numerically stable.

    .. math::

        \sigma(z) = \frac{1}{1 + e^{-z}} =
        \begin{cases} 1 / (1 + e^{-|z|}) & z \ge 0 \\ e^{-|z|} / (1 + e^{-|z|}) & z < 0 \end{cases}

    Parameters
    ----------
    z : array_like
        Any shape; Python/NumPy scalars, lists, arrays and pandas objects.

    Returns
    -------
    float or ndarray
        A ``float`` for a scalar input, otherwise a float array of the same shape as ``z``
        (a 0-d array stays a 0-d array). Values lie in ``[0, 1]``.

    Notes
    -----
    Only ``exp(-|z|) <= 1`` is ever computed, so there is no overflow warning and no NaN for
    any non-NaN input (``sigmoid(±inf)`` is ``1.0`` / ``0.0``; NaN propagates). The symmetry
    :math:`\sigma(-z) = 1 - \sigma(z)` holds to within one unit of ``1.0`` (about 2.2e-16)
    for every ``z``, including ``|z| = 1e4`` and ``1e300``; the negative branch is also
    accurate in relative terms, down to subnormal results.

    Examples
    --------
    >>> sigmoid(0.0)
    0.5
    >>> sigmoid(np.array([-1e4, 1e4]))
    array([0., 1.])
    """
    return finish(_sigmoid(as_float_array(z, "z")), is_scalar_input(z))


@overload
def log_sigmoid(z: float) -> float: ...
@overload
def log_sigmoid(z: npt.NDArray[Any]) -> FloatArray: ...
@overload
def log_sigmoid(z: npt.ArrayLike) -> float | FloatArray: ...
def log_sigmoid(z: npt.ArrayLike) -> float | FloatArray:
    r"""Elementwise :math:`\log \sigma(z) = -\log(1 + e^{-z})`, computed as ``-logaddexp(0, -z)``.

    Parameters
    ----------
    z : array_like
        Any shape.

    Returns
    -------
    float or ndarray
        Finite for every finite ``z`` (``log_sigmoid(-1e300) == -1e300``), never positive; a
        ``float`` for a scalar input, otherwise an array of the shape of ``z``.
    """
    arr = as_float_array(z, "z")
    return finish(-np.logaddexp(0.0, -arr), is_scalar_input(z))


# --------------------------------------------------------------------------- linear predictor


def _check_weights(X: FloatArray, w: FloatArray) -> None:
    if w.ndim == 0 or w.shape[0] != X.shape[1]:
        raise ValueError(
            f"w must have shape (d, ...) with d = {X.shape[1]} (the number of columns of X); "
            f"got shape {w.shape}"
        )


def _check_labels(X: FloatArray, y: FloatArray) -> None:
    if y.shape[0] != X.shape[0]:
        raise ValueError(
            f"y must have one label per row of X: X has {X.shape[0]} rows, y has {y.shape[0]}"
        )
    if not np.all((y >= 0.0) & (y <= 1.0)):
        raise ValueError("y must hold labels in [0, 1] (0/1 for the course), with no NaN")


def _linear(X: FloatArray, w: FloatArray) -> FloatArray:
    # An overflowing product is a legitimate infinite logit: the likelihood and sigmoid give its
    # limit, so numpy's overflow warning would only be noise.
    with np.errstate(over="ignore", invalid="ignore"):
        if w.ndim == 1:
            z: FloatArray = X @ w
            return z
        flat: FloatArray = X @ w.reshape(w.shape[0], -1)
    return flat.reshape((X.shape[0], *w.shape[1:]))


def predict_y(X: npt.ArrayLike, w: npt.ArrayLike) -> FloatArray:
    r"""The linear predictor :math:`z = X w`, i.e. :math:`z_i = \sum_j X_{ij} w_j`.

    Parameters
    ----------
    X : array_like of shape (n, d)
        Design matrix (ndarray or DataFrame).
    w : array_like of shape (d,) or (d, k1, ...)
        Weights; trailing axes are a batch of weight vectors.

    Returns
    -------
    ndarray of shape (n,) or (n, k1, ...)
        A new float array.
    """
    X_ = as_matrix(X, "X")
    w_ = as_float_array(w, "w")
    _check_weights(X_, w_)
    return _linear(X_, w_)


# --------------------------------------------------------------------------- likelihood


def _log_likelihood_terms(z: FloatArray, y: FloatArray) -> FloatArray:
    # y z - log(1 + e^z) == -[y log(1 + e^-z) + (1 - y) log(1 + e^z)]  (since the two softplus
    # terms differ by exactly z). This form never subtracts two huge numbers, and `where=` skips
    # a term whose label weight is 0, so an infinite z gives the limit instead of 0 * inf = NaN.
    yb = y.reshape(y.shape + (1,) * (z.ndim - 1))
    yb = np.broadcast_to(yb, z.shape)
    heads = np.multiply(yb, np.logaddexp(0.0, -z), out=np.zeros(z.shape), where=yb != 0.0)
    tails = np.multiply(1.0 - yb, np.logaddexp(0.0, z), out=np.zeros(z.shape), where=yb != 1.0)
    return -(heads + tails)


def log_likelihood(X: npt.ArrayLike, y: npt.ArrayLike, w: npt.ArrayLike) -> float | FloatArray:
    r"""Bernoulli log-likelihood of logistic regression.

    .. math::

        \ell(w) = \sum_{i=1}^{n} \left[ y_i z_i - \log\left(1 + e^{z_i}\right) \right],
        \qquad z = X w,

    which equals :math:`\sum_i [y_i \log \sigma(z_i) + (1 - y_i) \log(1 - \sigma(z_i))]`
    and ``-n * sklearn.metrics.log_loss(y, sigmoid(X @ w))``.

    Parameters
    ----------
    X : array_like of shape (n, d)
    y : array_like of shape (n,)
        Labels in ``[0, 1]``.
    w : array_like of shape (d,) or (d, k1, ...)

    Returns
    -------
    float or ndarray of shape (k1, ...)
        A ``float`` for a 1-D ``w``; one value per weight vector for a batch.

    Notes
    -----
    Each term is evaluated as :math:`-[y_i\,\mathrm{logaddexp}(0, -z_i) + (1 - y_i)\,
    \mathrm{logaddexp}(0, z_i)]`, algebraically identical to the formula above. Every term is
    finite for finite ``z`` (``|z| = 1e300`` gives ``0`` or ``-1e300``), and accurate in the
    tails where ``y z - log(1 + e^z)`` would cancel. Only the SUM can overflow, when
    ``n * max|z|`` exceeds ~1.8e308; an infinite ``z`` (``X @ w`` overflowed) gives the limit
    ``0`` or ``-inf`` per term, never NaN.
    """
    X_ = as_matrix(X, "X")
    y_ = as_vector(y, "y")
    w_ = as_float_array(w, "w")
    _check_labels(X_, y_)
    _check_weights(X_, w_)
    total = np.sum(_log_likelihood_terms(_linear(X_, w_), y_), axis=0)
    return finish(total, w_.ndim == 1)


def _gradient(X: FloatArray, y: FloatArray, w: FloatArray) -> FloatArray:
    z = _linear(X, w)
    residual = y.reshape(y.shape + (1,) * (z.ndim - 1)) - _sigmoid(z)
    if residual.ndim == 1:
        summed: FloatArray = X.T @ residual
        return summed
    flat: FloatArray = X.T @ residual.reshape(X.shape[0], -1)
    return flat.reshape((X.shape[1], *residual.shape[1:]))


def gradient(X: npt.ArrayLike, y: npt.ArrayLike, w: npt.ArrayLike) -> FloatArray:
    r"""Gradient of the log-likelihood with respect to ``w`` (summed over samples, not averaged).

    .. math::

        \nabla_w \ell(w) = X^\top \left( y - \sigma(X w) \right)
        = \sum_{i=1}^{n} \left( y_i - \sigma(x_i^\top w) \right) x_i

    Parameters
    ----------
    X : array_like of shape (n, d)
    y : array_like of shape (n,)
    w : array_like of shape (d,) or (d, k1, ...)

    Returns
    -------
    ndarray of shape (d,) or (d, k1, ...)
        Points uphill: a small step ``w + alpha * gradient`` increases the log-likelihood.
    """
    X_ = as_matrix(X, "X")
    y_ = as_vector(y, "y")
    w_ = as_float_array(w, "w")
    _check_labels(X_, y_)
    _check_weights(X_, w_)
    return _gradient(X_, y_, w_)


def gradient_step(X: npt.ArrayLike, y: npt.ArrayLike, w: npt.ArrayLike, alpha: float) -> FloatArray:
    r"""One gradient ASCENT step on the log-likelihood.

    .. math::

        w_{\text{new}} = w + \alpha \, X^\top \left( y - \sigma(X w) \right)

    Parameters
    ----------
    X : array_like of shape (n, d)
    y : array_like of shape (n,)
    w : array_like of shape (d,) or (d, k1, ...)
    alpha : float
        Step size, finite and ``>= 0``.

    Returns
    -------
    ndarray
        A NEW array of the shape of ``w``; ``w`` itself is never modified.
    """
    step_size = as_real(alpha, "alpha", minimum=0.0)
    X_ = as_matrix(X, "X")
    y_ = as_vector(y, "y")
    w_ = as_float_array(w, "w")
    _check_labels(X_, y_)
    _check_weights(X_, w_)
    return w_ + step_size * _gradient(X_, y_, w_)


# --------------------------------------------------------------------------- fitting


def logistic_fit(
    X: npt.ArrayLike,
    y: npt.ArrayLike,
    alpha: float,
    max_iterations: int,
    initial_weights: npt.ArrayLike | None = None,
    tol: float | None = None,
) -> FitResult:
    r"""Fit logistic regression (no intercept) by fixed-step gradient ascent.

    Starting from :math:`w_0` (``initial_weights``, default ``ones(d)`` as in the lab), repeat

    .. math::

        s_k = \alpha \, X^\top (y - \sigma(X w_k)), \qquad w_{k+1} = w_k + s_k

    for ``k = 0, 1, ...`` and record :math:`\ell(w_{k+1})` after each step. Stop after
    ``max_iterations`` steps, or earlier, right after a step with
    :math:`\|s_k\|_\infty < \text{tol}` (that step is applied and recorded).

    Parameters
    ----------
    X : array_like of shape (n, d)
    y : array_like of shape (n,)
        Labels in ``[0, 1]``.
    alpha : float
        Step size, finite and ``>= 0``. Ascent is monotone for
        ``alpha <= 4 / ||X||_2**2`` (the log-likelihood is concave with that curvature bound).
    max_iterations : int
        Maximum number of steps (``>= 0``).
    initial_weights : array_like of shape (d,) or (d, 1), optional
        Starting weights; ``None`` means ``np.ones(d)``. Copied, never modified.
    tol : float, optional
        Early-stopping threshold on the largest absolute weight change of a step; ``None``
        (default) always takes ``max_iterations`` steps.

    Returns
    -------
    FitResult
        ``(weights, history)``; ``history[k]`` is the log-likelihood after step ``k + 1`` and
        ``len(history)`` is the number of steps taken.

    Notes
    -----
    On linearly separable data the maximum is not attained: the weights grow without bound,
    slowly (the gradient vanishes exponentially), and the log-likelihood rises towards 0. The
    stable sigmoid and log-likelihood keep every number finite on the way.
    """
    X_ = as_matrix(X, "X")
    y_ = as_vector(y, "y")
    _check_labels(X_, y_)
    step_size = as_real(alpha, "alpha", minimum=0.0)
    n_steps = as_count(max_iterations, "max_iterations")
    threshold = None if tol is None else as_real(tol, "tol", minimum=0.0)
    d = X_.shape[1]
    if initial_weights is None:
        w = np.ones(d)
    else:
        w = as_vector(initial_weights, "initial_weights")
        if w.shape != (d,):
            raise ValueError(
                f"initial_weights must have length d = {d} (the number of columns of X); "
                f"got shape {w.shape}"
            )
    history = np.empty(n_steps)
    taken = 0
    while taken < n_steps:
        step = step_size * _gradient(X_, y_, w)
        w = w + step
        history[taken] = np.sum(_log_likelihood_terms(_linear(X_, w), y_))
        taken += 1
        if threshold is not None and np.max(np.abs(step), initial=0.0) < threshold:
            break
    return FitResult(weights=w, history=history[:taken].copy())


def grad_desc(
    X: npt.ArrayLike,
    y: npt.ArrayLike,
    max_iterations: int,
    alpha: float,
    initial_weights: npt.ArrayLike | None = None,
) -> FitResult:
    r"""The lab's interface: exactly ``max_iterations`` gradient ascent steps.

    Same algorithm as :func:`logistic_fit` without early stopping (note the lab's argument
    order, ``max_iterations`` before ``alpha``):

    .. math::

        w_{k+1} = w_k + \alpha \, X^\top (y - \sigma(X w_k)), \qquad w_0 = \mathbf{1}
        \text{ unless } \texttt{initial\_weights} \text{ is given.}

    Returns
    -------
    FitResult
        ``(weights, history)``; ``history`` holds the log-likelihood after each of the
        ``max_iterations`` steps. Unlike the public lab's ``weights += ...``, the caller's
        ``initial_weights`` array is never modified.
    """
    return logistic_fit(X, y, alpha, max_iterations, initial_weights=initial_weights, tol=None)


# --------------------------------------------------------------------------- prediction


def predict_proba(X: npt.ArrayLike, w: npt.ArrayLike) -> FloatArray:
    r"""Predicted probabilities of class 1.

    .. math::

        \hat p_i = \sigma(x_i^\top w) = \frac{1}{1 + e^{-x_i^\top w}}

    Parameters
    ----------
    X : array_like of shape (n, d)
    w : array_like of shape (d,) or (d, k1, ...)

    Returns
    -------
    ndarray of shape (n,) or (n, k1, ...)
        Values in ``[0, 1]``, computed with the stable :func:`sigmoid`.
    """
    return _sigmoid(predict_y(X, w))


def predict(X: npt.ArrayLike, w: npt.ArrayLike, threshold: float = 0.5) -> IntArray:
    r"""Class predictions: ``1`` where :math:`\sigma(x_i^\top w) \ge` ``threshold``, else ``0``.

    The comparison is INCLUSIVE (``>=``): a probability exactly equal to the threshold, e.g.
    ``sigmoid(0) == 0.5`` with the default threshold, predicts class 1. The rule is applied to
    the computed probability (so with ``threshold=0.5`` it is ``z >= 0`` up to rounding of
    ``sigmoid`` for ``|z| < ~1e-16``).

    Returns
    -------
    ndarray of int64, shape of ``X @ w``
    """
    cut = as_real(threshold, "threshold")
    return (predict_proba(X, w) >= cut).astype(np.int64)
