"""Charts drawn as inline SVG by hand: a check's plot, the score histogram, axis ticks.

Changes when a chart's drawing changes. No matplotlib, no JavaScript, no fonts or images
fetched from anywhere: the SVG is written as text, and every label that came from a submission
or a spec is escaped.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from html import escape

from graders.report.html.page import fmt
from graders.results import Plot, PlotSeries
from graders.summary import Bin

__all__ = ["histogram_svg", "nice_ticks", "render_plot"]

_ROLE_STYLE = {
    "reference": 'stroke="#0969da" stroke-width="4" stroke-opacity="0.45" stroke-dasharray="9 5"',
    "student": 'stroke="#d9480f" stroke-width="2"',
    "guide": 'stroke="#8c959f" stroke-width="1" stroke-dasharray="3 4"',
}


_W, _H = 640, 400
_LEFT, _RIGHT, _TOP, _BOTTOM = 64, 16, 36, 76


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values (steps of 1, 2 or 5 times a power of ten) covering ``[low, high]``."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return [low]
    # Slightly more ticks than asked rather than too few (2 ticks read badly).
    raw = (high - low) / max(count, 1) / 1.5
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1.0, 2.0, 5.0, 10.0) if m * power >= raw)
    first = math.ceil(low / step - 1e-9) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(0.0 if abs(value) < step * 1e-9 else value)
        value += step
    return ticks


def _tick_text(value: float) -> str:
    if value != 0 and (abs(value) >= 1e5 or abs(value) < 1e-3):
        return f"{value:.1e}"
    return f"{value:.6g}"


def _finite(values: Iterable[float]) -> list[float]:
    return [v for v in values if math.isfinite(v)]


def _y_range(plot: Plot) -> tuple[float, float, bool]:
    """The y range: every line, unless the student's values dwarf the reference (then clip)."""
    reference = _finite(v for s in plot.series if s.role != "student" for v in s.y)
    student = _finite(v for s in plot.series if s.role == "student" for v in s.y)
    values = reference + student
    if not values:
        return 0.0, 1.0, False
    low, high = min(values), max(values)
    clipped = False
    if reference:
        r_low, r_high = min(reference), max(reference)
        span = max(r_high - r_low, abs(r_high) * 0.1, 1e-12)
        if low < r_low - 4 * span or high > r_high + 4 * span:
            low, high = max(low, r_low - 1.5 * span), min(high, r_high + 1.5 * span)
            clipped = True
    if high - low < 1e-12:
        pad = max(abs(high) * 0.1, 0.5)
        low, high = low - pad, high + pad
    pad = (high - low) * 0.04
    return low - pad, high + pad, clipped


def render_plot(plot: Plot) -> str:
    """One plot as a ``<figure>`` holding hand-written SVG (no scripts, no external assets).

    Non-finite values leave gaps; student values far outside the reference's range are drawn at
    the edge, and the caption says so.
    """
    xs = _finite(v for s in plot.series for v in s.x)
    x_low, x_high = (min(xs), max(xs)) if xs else (0.0, 1.0)
    if x_high - x_low < 1e-12:
        x_low, x_high = x_low - 0.5, x_high + 0.5
    y_low, y_high, clipped = _y_range(plot)
    area_w, area_h = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM

    def px(x: float) -> float:
        return _LEFT + (x - x_low) / (x_high - x_low) * area_w

    def py(y: float) -> float:
        y = min(max(y, y_low), y_high)
        return _TOP + (y_high - y) / (y_high - y_low) * area_h

    ident = "plot-" + "".join(ch if ch.isalnum() else "-" for ch in plot.id)
    out = [
        f'<figure><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_W} {_H}" '
        f'width="100%" class="plot" role="img" aria-labelledby="{ident}-t">',
        f'<title id="{ident}-t">{escape(plot.title)}</title>',
        f'<rect x="{_LEFT}" y="{_TOP}" width="{area_w}" height="{area_h}" fill="#fff" '
        'stroke="#d0d7de"/>',
    ]
    for tick in nice_ticks(x_low, x_high):
        x = px(tick)
        out.append(
            f'<line x1="{x:.1f}" y1="{_TOP}" x2="{x:.1f}" y2="{_TOP + area_h}" stroke="#eaeef2"/>'
            f'<text x="{x:.1f}" y="{_TOP + area_h + 16}" text-anchor="middle">'
            f"{escape(_tick_text(tick))}</text>"
        )
    for tick in nice_ticks(y_low, y_high):
        y = py(tick)
        out.append(
            f'<line x1="{_LEFT}" y1="{y:.1f}" x2="{_LEFT + area_w}" y2="{y:.1f}" stroke="#eaeef2"/>'
            f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(_tick_text(tick))}</text>"
        )
    out.append(
        f'<text x="{_LEFT + area_w / 2:.1f}" y="{_TOP + area_h + 36}" text-anchor="middle">'
        f"{escape(plot.x_label)}</text>"
        f'<text transform="translate(16 {_TOP + area_h / 2:.1f}) rotate(-90)" '
        f'text-anchor="middle">{escape(plot.y_label)}</text>'
        f'<text x="{_LEFT}" y="22" class="plot-title">{escape(plot.title)}</text>'
    )
    for series in plot.series:
        out += _polylines(series, px, py, (x_low, x_high))
    out.append(_legend(plot.series, _H - 10))
    out.append("</svg>")
    caption = plot.caption
    if clipped:
        caption += (
            " Some of your values lie far outside the reference's range; they are drawn at "
            "the edge."
        )
    out.append(f"<figcaption>{escape(caption)}</figcaption></figure>")
    return "".join(out)


def _polylines(
    series: PlotSeries,
    px: Callable[[float], float],
    py: Callable[[float], float],
    x_range: tuple[float, float],
) -> list[str]:
    style = _ROLE_STYLE[series.role]
    segments: list[list[str]] = [[]]
    for x, y in zip(series.x, series.y, strict=True):
        if math.isfinite(x) and math.isfinite(y) and x_range[0] <= x <= x_range[1]:
            segments[-1].append(f"{px(x):.1f},{py(y):.1f}")
        elif segments[-1]:
            segments.append([])
    out = []
    for points in segments:
        if len(points) == 1:
            cx, cy = points[0].split(",")
            colour = "#d9480f" if series.role == "student" else "#0969da"
            out.append(f'<circle cx="{cx}" cy="{cy}" r="2.5" fill="{colour}"/>')
        elif points:
            out.append(
                f'<polyline fill="none" {style} stroke-linejoin="round" '
                f'points="{" ".join(points)}"/>'
            )
    return out


def _legend(series: Sequence[PlotSeries], y: float) -> str:
    """One row of legend entries under the x-axis label, left to right."""
    parts = []
    x = float(_LEFT)
    for line in series:
        if line.role == "guide":
            continue
        label = line.label if len(line.label) <= 40 else line.label[:39] + "…"
        parts.append(
            f'<line x1="{x:.0f}" y1="{y - 4:.0f}" x2="{x + 26:.0f}" y2="{y - 4:.0f}" '
            f'{_ROLE_STYLE[line.role]}/><text x="{x + 32:.0f}" y="{y:.0f}">{escape(label)}</text>'
        )
        x += 32 + 7 * len(label) + 24
    return "".join(parts)


def histogram_svg(bins: Sequence[Bin], max_score: float) -> str:
    """The score histogram as a ``<figure>`` of SVG bars, one per :class:`~graders.summary.Bin`."""
    if not bins:
        return ""
    top = max(b.count for b in bins) or 1
    area_w, area_h = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM
    width = area_w / len(bins)
    out = [
        f'<figure><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_W} {_H}" '
        f'width="100%" class="plot" role="img" aria-labelledby="hist-t">',
        '<title id="hist-t">Distribution of total scores</title>',
    ]
    for tick in nice_ticks(0, top, min(top, 5)):
        if not float(tick).is_integer():
            continue
        y = _TOP + area_h - tick / top * area_h
        out.append(
            f'<line x1="{_LEFT}" y1="{y:.1f}" x2="{_LEFT + area_w}" y2="{y:.1f}" stroke="#eaeef2"/>'
            f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{int(tick)}</text>'
        )
    every = max(1, math.ceil(len(bins) / 12))
    for i, b in enumerate(bins):
        height = b.count / top * area_h
        x = _LEFT + i * width
        out.append(
            f'<rect class="hbar" x="{x + 1:.1f}" y="{_TOP + area_h - height:.1f}" '
            f'width="{max(width - 2, 1):.1f}" '
            f'height="{height:.1f}"><title>{escape(b.label)} points: {b.count} '
            f"submission{'s' if b.count != 1 else ''}</title></rect>"
        )
        if b.count:
            out.append(
                f'<text x="{x + width / 2:.1f}" y="{_TOP + area_h - height - 4:.1f}" '
                f'text-anchor="middle">{b.count}</text>'
            )
        if i % every == 0 or i == len(bins) - 1:
            out.append(
                f'<text x="{x + width / 2:.1f}" y="{_TOP + area_h + 16}" text-anchor="middle">'
                f"{escape(b.label)}</text>"
            )
    out.append(
        f'<line x1="{_LEFT}" y1="{_TOP + area_h}" x2="{_LEFT + area_w}" y2="{_TOP + area_h}" '
        'class="axis"/>'
        f'<text x="{_LEFT + area_w / 2:.1f}" y="{_TOP + area_h + 36}" text-anchor="middle">'
        "total score "
        f"(out of {fmt(max_score)})</text>"
        f'<text transform="translate(16 {_TOP + area_h / 2:.1f}) rotate(-90)" '
        'text-anchor="middle">submissions</text>'
        '<text x="64" y="22" class="plot-title">Score distribution</text></svg></figure>'
    )
    return "".join(out)
