"""Charts rendered on the server as SVG: sparklines, bars, distributions and the roadmap.

Every function returns a ``SafeString``; every text is escaped here. Values of ``None`` are
"no data": drawn as gaps (never as zero), and a chart with no data at all says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from django.utils.safestring import SafeString, mark_safe


def _e(value) -> str:
    return escape(str(value), quote=True)


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))


def _empty(width: int, height: int, text: str = "no data yet") -> SafeString:
    return mark_safe(
        f'<svg class="chart chart-empty" role="img" aria-label="{_e(text)}" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}"><text x="{width / 2}" '
        f'y="{height / 2 + 4}" text-anchor="middle" font-size="12" fill="#5b6475">{_e(text)}'
        "</text></svg>"
    )


def sparkline(
    values: Sequence[float | None],
    *,
    width: int = 160,
    height: int = 36,
    label: str = "trend",
    lo: float | None = None,
    hi: float | None = None,
) -> SafeString:
    """A line over the points that have data; gaps where a value is ``None``."""
    points = [(i, v) for i, v in enumerate(values) if v is not None]
    if not points:
        return _empty(width, height)
    lo = min(v for _, v in points) if lo is None else lo
    hi = max(v for _, v in points) if hi is None else hi
    span = (hi - lo) or 1
    step = (width - 8) / max(1, len(values) - 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return 4 + i * step, height - 4 - (v - lo) / span * (height - 8)

    segments: list[list[tuple[float, float]]] = [[]]
    for i, v in enumerate(values):
        if v is None:
            if segments[-1]:
                segments.append([])
            continue
        segments[-1].append(xy(i, v))
    lines = "".join(
        '<polyline fill="none" stroke="#2456c7" stroke-width="1.5" points="'
        + " ".join(f"{x:.1f},{y:.1f}" for x, y in seg)
        + '"/>'
        for seg in segments
        if len(seg) > 1
    )
    dots = "".join(
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2" fill="#2456c7"/>'
        for seg in segments
        for x, y in seg
    )
    last = points[-1][1]
    return mark_safe(
        f'<svg class="chart sparkline" role="img" aria-label="{_e(label)}: last {_e(_fmt(last))}" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">{lines}{dots}</svg>'
    )


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None
    href: str = ""
    text: str = ""  # shown instead of the value


def hbars(
    bars: Sequence[Bar], *, width: int = 420, row: int = 22, label_width: int = 150, unit: str = ""
) -> SafeString:
    """Horizontal bars, one per row, each linking to the rows behind it."""
    if not bars:
        return _empty(width, 40)
    top = max((b.value or 0) for b in bars) or 1
    height = row * len(bars) + 4
    room = width - label_width - 60
    rows = []
    for i, bar in enumerate(bars):
        y = i * row + 2
        if bar.value is None:
            body = f'<text x="{label_width + 4}" y="{y + 15}" font-size="11" fill="#5b6475">no data</text>'
        else:
            w = max(1.0, bar.value / top * room)
            shown = bar.text or f"{_fmt(bar.value)}{unit}"
            body = (
                f'<rect x="{label_width}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" '
                f'fill="#2456c7" rx="2"/><text x="{label_width + w + 4:.1f}" y="{y + 15}" '
                f'font-size="11">{_e(shown)}</text>'
            )
        text = (
            f'<text x="{label_width - 6}" y="{y + 15}" font-size="12" text-anchor="end">'
            f"{_e(bar.label[:24])}</text>"
        )
        inner = text + body
        if bar.href:
            inner = f'<a href="{_e(bar.href)}"><title>{_e(bar.label)}</title>{inner}</a>'
        rows.append(f"<g>{inner}</g>")
    return mark_safe(
        f'<svg class="chart hbars" role="img" aria-label="bar chart" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}">{"".join(rows)}</svg>'
    )


def columns(
    bars: Sequence[Bar], *, width: int = 420, height: int = 120, unit: str = ""
) -> SafeString:
    """Vertical bars (e.g. one per month); a month without data shows a dash, not a zero bar."""
    if not bars or all(b.value is None for b in bars):
        return _empty(width, 40)
    top = max((b.value or 0) for b in bars) or 1
    slot = width / len(bars)
    plot = height - 30
    parts = []
    for i, bar in enumerate(bars):
        x = i * slot
        label = f'<text x="{x + slot / 2:.1f}" y="{height - 4}" font-size="9" text-anchor="middle">{_e(bar.label)}</text>'
        if bar.value is None:
            body = f'<text x="{x + slot / 2:.1f}" y="{plot}" font-size="10" text-anchor="middle" fill="#5b6475">&#8211;</text>'
            title = f"{bar.label}: no data"
        else:
            h = max(1.0, bar.value / top * (plot - 12))
            body = (
                f'<rect x="{x + 2:.1f}" y="{plot - h:.1f}" width="{max(1.0, slot - 4):.1f}" '
                f'height="{h:.1f}" fill="#2456c7" rx="2"/>'
                f'<text x="{x + slot / 2:.1f}" y="{plot - h - 2:.1f}" font-size="9" '
                f'text-anchor="middle">{_e(bar.text or _fmt(bar.value))}</text>'
            )
            title = f"{bar.label}: {bar.text or _fmt(bar.value)}{unit}"
        inner = f"<title>{_e(title)}</title>{body}{label}"
        if bar.href and bar.value is not None:
            inner = f'<a href="{_e(bar.href)}">{inner}</a>'
        parts.append(f"<g>{inner}</g>")
    return mark_safe(
        f'<svg class="chart columns" role="img" aria-label="column chart" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}">{"".join(parts)}</svg>'
    )


def distribution(rows: Sequence[dict], *, href_for=None, width: int = 300) -> SafeString:
    """The 1-5 rating distribution: five bars, 5 on top, each linking to its ratings."""
    if not rows or not any(r["count"] for r in rows):
        return _empty(width, 40, "no ratings yet")
    bars = [
        Bar(
            label=f"{r['rating']} ★",
            value=r["count"],
            href=href_for(r["rating"]) if href_for else "",
            text=f"{r['count']} ({r['share'] * 100:.0f}%)" if r["share"] is not None else "",
        )
        for r in sorted(rows, key=lambda r: -r["rating"])
    ]
    return hbars(bars, width=width, label_width=40)


# --- the roadmap --------------------------------------------------------------------------------

LAYER_COLOURS = {"base": "#6b4fbb", "core": "#2456c7", "enabling": "#1a7f37"}
STATUS_MARK = {"planned": "", "in_progress": "▶ ", "shipped": "✓ ", "slipped": "⚠ "}


@dataclass(frozen=True)
class Card:
    id: int
    title: str
    layer: str
    quarter: str
    status: str
    href: str
    depends_on: tuple[int, ...] = ()


def roadmap(
    cards: Sequence[Card],
    *,
    layers: Sequence[tuple[str, str]],
    quarters: Sequence[str],
    selected: int | None = None,
    unlocks: Sequence[int] = (),
    breaks: Sequence[int] = (),
    prerequisites: Sequence[int] = (),
) -> SafeString:
    """Layers as horizontal bands (enabling on top, base at the bottom), quarters as columns,
    items as cards linking to ``?selected=<id>``, arrows from each prerequisite to its
    dependents. The selected item, what it unlocks and what breaks if it slips are marked with
    classes (``selected``, ``unlocks``, ``breaks``, ``prereq``) and drawn differently."""
    if not cards or not quarters:
        return _empty(600, 60, "no roadmap items yet")
    col_w, card_w, card_h, gap, head, label_w = 190, 170, 44, 8, 28, 130
    column = {q: i for i, q in enumerate(quarters)}
    cells: dict[tuple[str, str], list[Card]] = {}
    for card in cards:
        cells.setdefault((card.layer, card.quarter), []).append(card)
    band_rows = {
        layer: max([len(v) for (lay, _), v in cells.items() if lay == layer] or [1])
        for layer, _ in layers
    }
    positions: dict[int, tuple[float, float]] = {}
    bands = []
    y = head
    for layer, label in layers:
        band_h = band_rows[layer] * (card_h + gap) + gap
        bands.append(
            f'<g class="band band-{_e(layer)}"><rect x="0" y="{y}" width="{label_w + col_w * len(quarters)}" '
            f'height="{band_h}" fill="{LAYER_COLOURS.get(layer, "#888")}" fill-opacity="0.06" '
            f'stroke="#dde1e7"/><text x="8" y="{y + 20}" font-size="12" font-weight="600" '
            f'fill="{LAYER_COLOURS.get(layer, "#333")}">{_e(label)}</text></g>'
        )
        for (lay, quarter), stack in cells.items():
            if lay != layer or quarter not in column:
                continue
            for k, card in enumerate(sorted(stack, key=lambda c: (c.title, c.id))):
                positions[card.id] = (
                    label_w + column[quarter] * col_w + (col_w - card_w) / 2,
                    y + gap + k * (card_h + gap),
                )
        y += band_h
    total_h = y + 10
    total_w = label_w + col_w * len(quarters)
    header = "".join(
        f'<text x="{label_w + i * col_w + col_w / 2}" y="18" font-size="12" text-anchor="middle" '
        f'font-weight="600">{_e(q)}</text>'
        f'<line x1="{label_w + i * col_w}" y1="{head}" x2="{label_w + i * col_w}" y2="{y}" '
        f'stroke="#dde1e7"/>'
        for i, q in enumerate(quarters)
    )
    unlock_set, break_set, prereq_set = set(unlocks), set(breaks), set(prerequisites)
    highlighted = unlock_set | prereq_set | ({selected} if selected else set())
    arrows = []
    for card in cards:
        if card.id not in positions:
            continue
        tx, ty = positions[card.id]
        for dep in card.depends_on:
            if dep not in positions:
                continue
            sx, sy = positions[dep]
            x1, y1 = sx + card_w, sy + card_h / 2
            x2, y2 = tx, ty + card_h / 2
            if x2 <= x1:  # same or earlier column: leave from the card's top/bottom edge
                x1, y1 = sx + card_w / 2, sy + (card_h if y2 > sy else 0)
                x2 = tx + card_w / 2
                y2 = ty if y2 > sy else ty + card_h
            on = dep in highlighted and card.id in highlighted and selected is not None
            arrows.append(
                f'<path class="arrow{" on" if on else ""}" data-from="{dep}" data-to="{card.id}" '
                f'd="M{x1:.1f},{y1:.1f} C{(x1 + x2) / 2:.1f},{y1:.1f} {(x1 + x2) / 2:.1f},{y2:.1f} '
                f'{x2:.1f},{y2:.1f}" fill="none" stroke="{"#c0262d" if on else "#8a93a3"}" '
                f'stroke-width="{2 if on else 1}" marker-end="url(#arrowhead)"/>'
            )
    boxes = []
    for card in cards:
        if card.id not in positions:
            continue
        x, yy = positions[card.id]
        classes = ["card"]
        fill, stroke, width = "#fff", LAYER_COLOURS.get(card.layer, "#888"), 1
        if card.id == selected:
            classes.append("selected")
            fill, stroke, width = "#fff3cd", "#9a6700", 3
        elif card.id in break_set:
            classes += ["unlocks", "breaks"]
            fill, stroke, width = "#fde2e2", "#c0262d", 2
        elif card.id in unlock_set:
            classes.append("unlocks")
            fill, stroke, width = "#dcf3e3", "#1a7f37", 2
        elif card.id in prereq_set:
            classes.append("prereq")
            fill, stroke, width = "#e8f0fe", "#2456c7", 2
        title = STATUS_MARK.get(card.status, "") + card.title
        short = title if len(title) <= 24 else title[:23] + "…"
        dash = ' stroke-dasharray="4 3"' if card.status == "slipped" else ""
        boxes.append(
            f'<a href="{_e(card.href)}" class="{" ".join(classes)}" data-item="{card.id}" '
            f'aria-label="{_e(card.title)} ({_e(card.quarter)}, {_e(card.status)})">'
            f"<title>{_e(card.title)} — {_e(card.quarter)}, {_e(card.status)}</title>"
            f'<rect x="{x:.1f}" y="{yy:.1f}" width="{card_w}" height="{card_h}" rx="6" '
            f'fill="{fill}" stroke="{stroke}" stroke-width="{width}"'
            f"{dash}/>"
            f'<text x="{x + 8:.1f}" y="{yy + 18:.1f}" font-size="12">{_e(short)}</text>'
            f'<text x="{x + 8:.1f}" y="{yy + 34:.1f}" font-size="10" fill="#5b6475">'
            f"{_e(card.status.replace('_', ' '))}</text></a>"
        )
    defs = (
        '<defs><marker id="arrowhead" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#8a93a3"/></marker></defs>'
    )
    return mark_safe(
        f'<svg class="roadmap" role="img" aria-label="Layered roadmap" width="{total_w}" '
        f'height="{total_h}" viewBox="0 0 {total_w} {total_h}">{defs}{"".join(bands)}{header}'
        f"{''.join(arrows)}{''.join(boxes)}</svg>"
    )
