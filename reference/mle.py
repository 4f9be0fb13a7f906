r"""Maximum likelihood for coin flips (Bernoulli) and for a normal sample.

Data arguments (``flips``, ``x``) may have any shape: every entry is one observation. Parameter
arguments (``p``, ``mu``, ``sigma``) are vectorised: a scalar gives a ``float``, an array gives an
array of its (broadcast) shape, one log-likelihood per parameter value.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple, overload

import numpy as np
import numpy.typing as npt

from reference._arrays import FloatArray, as_float_array, finish, is_scalar_input

__all__ = [
    "NormalEstimate",
    "bernoulli_log_likelihood",
    "bernoulli_mle",
    "normal_log_likelihood",
    "normal_mle",
]

_LOG_2PI = math.log(2.0 * math.pi)


class NormalEstimate(NamedTuple):
    """Result of :func:`normal_mle`; unpacks as ``mu_hat, sigma_hat``."""

    mu: float
    sigma: float


def _flips(flips: npt.ArrayLike) -> FloatArray:
    arr = as_float_array(flips, "flips").ravel()
    bad = ~((arr == 0.0) | (arr == 1.0))
    if bad.any():
        shown = ", ".join(repr(float(v)) for v in arr[bad][:3])
        raise ValueError(f"flips must contain only 0 (tails) and 1 (heads); found {shown}")
    return arr


@overload
def bernoulli_log_likelihood(p: float, flips: npt.ArrayLike) -> float: ...
@overload
def bernoulli_log_likelihood(p: npt.NDArray[Any], flips: npt.ArrayLike) -> FloatArray: ...
@overload
def bernoulli_log_likelihood(p: npt.ArrayLike, flips: npt.ArrayLike) -> float | FloatArray: ...
def bernoulli_log_likelihood(p: npt.ArrayLike, flips: npt.ArrayLike) -> float | FloatArray:
    r"""Log-likelihood of 0/1 coin flips under heads-probability ``p``.

    With :math:`k` heads in :math:`n` flips,

    .. math::

        \ell(p) = \sum_{i=1}^{n} \left[ x_i \log p + (1 - x_i) \log(1 - p) \right]
                = k \log p + (n - k) \log(1 - p),

    using the convention :math:`0 \cdot \log 0 = 0`: a term whose count is zero contributes 0
    whatever ``p`` is.

    Parameters
    ----------
    p : float or array_like
        Heads-probability (or an array of them), each in ``[0, 1]``.
    flips : array_like
        0/1 (or bool) outcomes, any shape.

    Returns
    -------
    float or ndarray
        ``float`` for a scalar ``p``; otherwise an array of the shape of ``p``.

    Notes
    -----
    At the edges: ``p = 1`` with all heads, or ``p = 0`` with all tails (or no flips at all),
    gives exactly ``0.0``; ``p = 0`` with a head, or ``p = 1`` with a tail, gives ``-inf``
    (the data are impossible). No warning is emitted. :math:`\log(1 - p)` is computed as
    ``log1p(-p)``, accurate for small ``p``.
    """
    outcomes = _flips(flips)
    p_ = as_float_array(p, "p")
    if not np.all((p_ >= 0.0) & (p_ <= 1.0)):
        raise ValueError("p must lie in [0, 1] (a probability), with no NaN")
    n = outcomes.size
    k = float(np.sum(outcomes))
    with np.errstate(divide="ignore"):  # log(0) = -inf is the right answer for impossible data
        heads = k * np.log(p_) if k > 0 else np.zeros(p_.shape)
        tails = (n - k) * np.log1p(-p_) if n - k > 0 else np.zeros(p_.shape)
    return finish(heads + tails, is_scalar_input(p))


def bernoulli_mle(flips: npt.ArrayLike) -> float:
    r"""Maximum likelihood estimate of the heads-probability: :math:`\hat p = k / n`.

    The mean of the 0/1 outcomes; it maximises :func:`bernoulli_log_likelihood`.

    Raises
    ------
    ValueError
        If there are no flips, or an entry is not 0/1.
    """
    outcomes = _flips(flips)
    if outcomes.size == 0:
        raise ValueError("bernoulli_mle needs at least one flip")
    return float(np.mean(outcomes))


@overload
def normal_log_likelihood(mu: float, sigma: float, x: npt.ArrayLike) -> float: ...
@overload
def normal_log_likelihood(
    mu: npt.ArrayLike, sigma: npt.ArrayLike, x: npt.ArrayLike
) -> float | FloatArray: ...
def normal_log_likelihood(
    mu: npt.ArrayLike, sigma: npt.ArrayLike, x: npt.ArrayLike
) -> float | FloatArray:
    r"""Log-likelihood of a sample under :math:`N(\mu, \sigma^2)`.

    .. math::

        \ell(\mu, \sigma) = \sum_{i=1}^{n} \log \mathcal N(x_i \mid \mu, \sigma)
        = -\frac{n}{2} \log(2\pi) - n \log \sigma
          - \frac{1}{2} \sum_{i=1}^{n} \left( \frac{x_i - \mu}{\sigma} \right)^2

    Parameters
    ----------
    mu : float or array_like
        Mean(s).
    sigma : float or array_like
        Standard deviation(s), each ``> 0``; broadcast against ``mu``.
    x : array_like
        The sample, any shape.

    Returns
    -------
    float or ndarray
        ``float`` when ``mu`` and ``sigma`` are scalars; otherwise an array of their broadcast
        shape. Equals ``scipy.stats.norm.logpdf(x, mu, sigma).sum()``.
    """
    sample = as_float_array(x, "x").ravel()
    mu_ = as_float_array(mu, "mu")
    sigma_ = as_float_array(sigma, "sigma")
    if not np.all(sigma_ > 0.0):
        raise ValueError("sigma must be > 0 (a standard deviation), with no NaN")
    mu_b, sigma_b = np.broadcast_arrays(mu_, sigma_)
    standardised = (sample - mu_b[..., np.newaxis]) / sigma_b[..., np.newaxis]
    terms = -0.5 * _LOG_2PI - np.log(sigma_b)[..., np.newaxis] - 0.5 * standardised**2
    return finish(np.sum(terms, axis=-1), is_scalar_input(mu) and is_scalar_input(sigma))


def normal_mle(x: npt.ArrayLike) -> NormalEstimate:
    r"""Maximum likelihood estimates of a normal's mean and standard deviation.

    .. math::

        \hat\mu = \frac{1}{n} \sum_{i=1}^{n} x_i, \qquad
        \hat\sigma = \sqrt{\frac{1}{n} \sum_{i=1}^{n} (x_i - \hat\mu)^2}

    Note the divisor :math:`n` (``ddof=0``), not :math:`n - 1`: the MLE of :math:`\sigma` is
    biased low. :math:`\hat\sigma = 0` for a constant sample.

    Returns
    -------
    NormalEstimate
        ``(mu_hat, sigma_hat)`` as floats.

    Raises
    ------
    ValueError
        If ``x`` is empty.
    """
    sample = as_float_array(x, "x").ravel()
    if sample.size == 0:
        raise ValueError("normal_mle needs at least one observation")
    mu_hat = float(np.mean(sample))
    return NormalEstimate(mu=mu_hat, sigma=float(np.std(sample, ddof=0)))
