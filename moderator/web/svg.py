"""Inline SVG charts for the Insights page, drawn on the server (no script, no CDN). Every text
in a chart is escaped here, so the Markup returned is safe to place in a page as it is."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

from moderator.core.insights import Curve, SamplePoint

W, H, PAD = 360, 220, 44


def _frame(title: str, x_label: str, y_label: str, body: list[str]) -> Markup:
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" '
        f'height="{H}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{PAD}" y1="{H - PAD}" x2="{W - 10}" y2="{H - PAD}" class="axis"/>',
        f'<line x1="{PAD}" y1="10" x2="{PAD}" y2="{H - PAD}" class="axis"/>',
        f'<text x="{(W + PAD) / 2:.0f}" y="{H - 8}" text-anchor="middle">{escape(x_label)}</text>',
        f'<text x="12" y="{(H - PAD) / 2:.0f}" transform="rotate(-90 12 {(H - PAD) / 2:.0f})" '
        f'text-anchor="middle">{escape(y_label)}</text>',
        *body,
        "</svg>",
    ]
    return Markup("".join(parts))  # every text above is escaped


def _x(value: float, top: float) -> float:
    return PAD + (W - 10 - PAD) * (value / top if top else 0)


def _y(share: float) -> float:
    return H - PAD - (H - PAD - 10) * share


def curve_chart(curve: Curve) -> Markup:
    """Comments sent (x) against the miss rate (y), one point per threshold; the threshold in
    force and the recommended one marked."""
    top = max((sent for _, sent, _ in curve.points), default=1) or 1
    line = " ".join(f"{_x(s, top):.1f},{_y(m):.1f}" for _, s, m in curve.points)
    body = [f'<polyline points="{line}" class="curve" fill="none"/>']
    body += [
        f'<circle cx="{_x(s, top):.1f}" cy="{_y(m):.1f}" r="2" class="point">'
        f"<title>threshold {t:.2f}: {s} sent, {m * 100:.1f} % missed</title></circle>"
        for t, s, m in curve.points
    ]
    for name, threshold, css in (
        ("in force", curve.current, "current"),
        ("recommended", curve.recommended, "recommended"),
    ):
        if threshold is None:
            continue
        _, s, m = min(curve.points, key=lambda p: abs(p[0] - threshold))
        x, y = _x(s, top), _y(m)
        body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" class="{css}"/>')
        body.append(
            f'<text x="{x + 7:.1f}" y="{y - 7:.1f}" class="{css}">'
            f"{escape(name)} {threshold:.2f}</text>"
        )
    body += [
        f'<text x="{PAD - 4}" y="{_y(0) + 3:.1f}" text-anchor="end">0 %</text>',
        f'<text x="{PAD - 4}" y="{_y(1) + 3:.1f}" text-anchor="end">100 %</text>',
        f'<text x="{_x(0, top):.1f}" y="{H - PAD + 12}" text-anchor="middle">0</text>',
        f'<text x="{_x(top, top):.1f}" y="{H - PAD + 12}" text-anchor="end">{top}</text>',
    ]
    title = f"{curve.label} in {curve.language}: workload against misses"
    return _frame(title, f"comments sent (of {curve.decided})", "share of rejected missed", body)


def sample_chart(points: Sequence[SamplePoint]) -> Markup:
    """The control sample's miss rate per week, with its 95 % interval as a bar."""
    n = max(len(points), 1)
    body = []
    for i, p in enumerate(points):
        x = PAD + (W - 10 - PAD) * (i + 0.5) / n
        body.append(
            f'<line x1="{x:.1f}" y1="{_y(p.low):.1f}" x2="{x:.1f}" y2="{_y(p.high):.1f}" '
            'class="interval"/>'
        )
        body.append(
            f'<circle cx="{x:.1f}" cy="{_y(p.value):.1f}" r="4" class="point"><title>week of '
            f"{escape(p.week)}: {p.rejected} of {p.sampled} rejected, {p.value:.1%} (95 % "
            f"interval {p.low:.1%} to {p.high:.1%})</title></circle>"
        )
    return _frame("Control sample: miss rate per week", "week", "share rejected", body)


def bar_chart(title: str, bars: Sequence[tuple[str, float, str]], unit: str) -> Markup:
    """Horizontal bars: (name, value, caption)."""
    top = max((v for _, v, _ in bars), default=1) or 1
    step = (H - PAD - 10) / max(len(bars), 1)
    body = []
    for i, (name, value, caption) in enumerate(bars):
        y = 10 + i * step
        width = (W - 10 - PAD - 90 - 120) * value / top  # room for the caption
        body.append(
            f'<rect x="{PAD + 80}" y="{y + 4:.1f}" width="{width:.1f}" '
            f'height="{step * 0.6:.1f}" class="bar"/>'
        )
        body.append(
            f'<text x="{PAD + 76}" y="{y + step * 0.5 + 4:.1f}" text-anchor="end">'
            f"{escape(name)}</text>"
        )
        body.append(
            f'<text x="{PAD + 84 + width:.1f}" y="{y + step * 0.5 + 4:.1f}">'
            f"{escape(caption)}</text>"
        )
    return _frame(title, unit, "", body)
