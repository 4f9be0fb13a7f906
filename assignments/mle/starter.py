"""Maximum likelihood estimation: starter module.

Fill in the four functions below (replace each ``raise NotImplementedError`` with your code),
keeping their names and parameters exactly as given, then check your work from a terminal:

    grader check starter.py --assignment mle

The grader calls your functions with its own inputs (ordinary cases and edge cases) and compares
what they return with a reference solution. Use numpy (and, if you like, scipy); do not print or
plot inside the functions, and do not modify the arrays you are given.
"""

from __future__ import annotations

import numpy as np  # noqa: F401  (you will need it)


def bernoulli_log_likelihood(p, flips):
    r"""Log-likelihood of a sequence of coin flips under heads-probability ``p``.

    With :math:`k` heads among :math:`n` flips :math:`x_1, \dots, x_n \in \{0, 1\}`,

    .. math::

        \ell(p) = \sum_{i=1}^{n} \big[ x_i \log p + (1 - x_i) \log(1 - p) \big]
                = k \log p + (n - k) \log(1 - p),

    with the convention :math:`0 \cdot \log 0 = 0`: at ``p = 1`` with only heads (or ``p = 0``
    with only tails) the log-likelihood is ``0.0``, not ``nan``.

    Parameters
    ----------
    p : float
        Probability of heads, ``0 <= p <= 1``.
    flips : numpy.ndarray
        1-D array of 0s (tails) and 1s (heads).

    Returns
    -------
    float
        The log-likelihood (a single number, ``<= 0``; ``-inf`` when a flip is impossible).
    """
    raise NotImplementedError("bernoulli_log_likelihood")


def bernoulli_mle(flips):
    r"""Maximum-likelihood estimate of a coin's heads-probability.

    .. math::

        \hat p = \arg\max_p \ell(p) = \frac{k}{n} = \frac{1}{n} \sum_{i=1}^{n} x_i

    Parameters
    ----------
    flips : numpy.ndarray
        1-D array of 0s and 1s, at least one flip.

    Returns
    -------
    float
        The fraction of heads, in ``[0, 1]``.
    """
    raise NotImplementedError("bernoulli_mle")


def normal_log_likelihood(mu, sigma, x):
    r"""Log-likelihood of a sample under a normal distribution :math:`N(\mu, \sigma^2)`.

    .. math::

        \ell(\mu, \sigma) = \sum_{i=1}^{n} \log \left[ \frac{1}{\sqrt{2 \pi \sigma^2}}
            e^{-(x_i - \mu)^2 / (2 \sigma^2)} \right]
          = -\frac{n}{2} \log(2 \pi \sigma^2) - \frac{1}{2 \sigma^2} \sum_{i=1}^{n} (x_i - \mu)^2

    Parameters
    ----------
    mu : float
        Mean of the normal distribution.
    sigma : float
        Its standard deviation (not the variance), ``sigma > 0``.
    x : numpy.ndarray
        1-D sample.

    Returns
    -------
    float
        The log-likelihood, including the :math:`-\frac{n}{2}\log(2\pi)` constant.
    """
    raise NotImplementedError("normal_log_likelihood")


def normal_mle(x):
    r"""Maximum-likelihood estimates of a normal distribution's mean and standard deviation.

    .. math::

        \hat\mu = \frac{1}{n} \sum_{i=1}^{n} x_i, \qquad
        \hat\sigma = \sqrt{\frac{1}{n} \sum_{i=1}^{n} (x_i - \hat\mu)^2}

    Note the :math:`\frac{1}{n}`: the MLE divides by ``n`` (``np.std(x)``, i.e. ``ddof=0``), not by
    ``n - 1``.

    Parameters
    ----------
    x : numpy.ndarray
        1-D sample with at least two values. It must not be modified.

    Returns
    -------
    tuple of float
        ``(mu_hat, sigma_hat)``.
    """
    raise NotImplementedError("normal_mle")
