r"""Random-restart (multi-start) gradient descent: keep the best of several local minima.

Gradient descent only finds the local minimum of the basin it starts in; running it from several
starts and keeping the end point with the lowest :math:`f` is the simplest global strategy.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from reference._arrays import FloatArray, as_float_array
from reference.linear_gd import Gradient, gradient_descent

__all__ = ["RestartResult", "multi_start", "multi_start_descent"]

Objective = Callable[[Any], Any]


class RestartResult(NamedTuple):
    """Result of :func:`multi_start`.

    Attributes
    ----------
    best_point : float or ndarray of shape (d,)
        End point with the lowest objective value (first start wins ties).
    best_value : float
        ``f(best_point)``.
    points : ndarray of shape (k,) or (k, d)
        End point of the descent from each start, in the order of ``starts``.
    values : ndarray of shape (k,)
        ``f`` at each end point.
    """

    best_point: float | FloatArray
    best_value: float
    points: FloatArray
    values: FloatArray


def multi_start(
    f: Objective,
    grad: Gradient,
    starts: npt.ArrayLike,
    alpha: float,
    max_iterations: int,
    precision: float = 1e-8,
) -> RestartResult:
    r"""Run :func:`~reference.linear_gd.gradient_descent` from every start; keep the best end.

    For each start :math:`s_j`, :math:`p_j` = ``gradient_descent(grad, s_j, alpha,
    max_iterations, precision).point``; the result is

    .. math::

        j^* = \min \operatorname*{arg\,min}_j f(p_j), \qquad \text{best} = p_{j^*},

    i.e. the lowest objective value, and on exact ties the EARLIEST start. End points where
    ``f`` is NaN are ignored.

    Parameters
    ----------
    f : callable
        Objective; ``f(point)`` returns a real number.
    grad : callable
        Its gradient (see :func:`~reference.linear_gd.gradient_descent`).
    starts : array_like of shape (k,) or (k, d)
        ``k`` scalar starts, or ``k`` starting points of dimension ``d`` (one per row).
    alpha, max_iterations, precision
        Passed to every descent unchanged.

    Returns
    -------
    RestartResult

    Raises
    ------
    ValueError
        If there are no starts, or ``f`` is NaN at every end point.
    """
    starts_ = as_float_array(starts, "starts")
    if starts_.ndim not in (1, 2):
        raise ValueError(
            f"starts must be a sequence of scalar starts (k,) or of points (k, d); "
            f"got shape {starts_.shape}"
        )
    if starts_.shape[0] == 0:
        raise ValueError("starts must contain at least one starting point")
    points: list[Any] = []
    values: list[float] = []
    for start in starts_:
        first: float | FloatArray = float(start) if starts_.ndim == 1 else start.copy()
        point = gradient_descent(grad, first, alpha, max_iterations, precision).point
        points.append(point)
        # f gets its own copy, so an objective that writes to its argument cannot alter points.
        values.append(float(f(point if isinstance(point, float) else point.copy())))
    values_ = np.array(values)
    if np.all(np.isnan(values_)):
        raise ValueError("f returned NaN at every end point; no minimum to choose")
    best = int(np.nanargmin(values_))  # first index of the minimum: earliest start wins ties
    points_ = np.array(points, dtype=np.float64)
    best_point: float | FloatArray = (
        float(points_[best]) if starts_.ndim == 1 else points_[best].copy()
    )
    return RestartResult(
        best_point=best_point, best_value=float(values_[best]), points=points_, values=values_
    )


def multi_start_descent(
    f: Objective,
    grad: Gradient,
    starts: npt.ArrayLike,
    alpha: float,
    max_iterations: int,
    precision: float = 1e-8,
) -> float | FloatArray:
    r"""The best local minimum found from several starts: ``multi_start(...).best_point``.

    .. math::

        \text{best} = p_{j^*}, \quad j^* = \min \operatorname*{arg\,min}_j f(p_j), \quad
        p_j = \text{gradient\_descent}(\nabla f, s_j, \alpha, \ldots)

    Returns a ``float`` for scalar starts and an array of shape ``(d,)`` for vector starts;
    ties go to the first start. See :func:`multi_start` for the parameters.
    """
    return multi_start(f, grad, starts, alpha, max_iterations, precision).best_point
