"""Server-side SVG of the dependency graph: a service's neighbourhood and the layered platform view.

Pure Python (no Django import): callers pass plain ``GraphNode`` values with URLs already built.
Layout and rendering are separate so the layout can be tested (no overlapping labels, node count
capped) without parsing SVG.

Readability at scale: each side of the neighbourhood shows at most ``cap`` rows. Beyond that, the
most important neighbours (the caller orders them) are drawn one by one and the rest are folded into
"+N more · <team>" cluster rows, the last one catching every remaining team. Labels are truncated to
fit their box, the full name is in the node's ``<title>`` (tooltip and accessible name).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from html import escape

LAYER_COLOURS = {
    "base": ("#ece7fb", "#6b4fbb"),
    "core": ("#e5ecfb", "#2456c7"),
    "enabling": ("#dff3e5", "#1a7f37"),
}
DEFAULT_COLOURS = ("#eef1f6", "#5b6475")
CLUSTER_COLOURS = ("#f6f7f9", "#5b6475")
LAYER_LABELS = {
    "enabling": "Enabling capability",
    "core": "Core service",
    "base": "Base infrastructure",
}
# Top to bottom: capabilities build on core services, which build on base infrastructure.
LAYER_ORDER = ("enabling", "core", "base")

FONT_SIZE = 12
CHAR_WIDTH = 7.2  # a generous average advance of 12px system-ui; labels are cut to fit with this


@dataclass(frozen=True)
class GraphNode:
    """A service next to the one in the middle."""

    key: str
    label: str
    layer: str = ""
    group: str = ""  # usually the owning team's name; clusters fold by it
    url: str = ""
    group_url: str = ""
    detail: str = ""  # e.g. the API versions behind the edge, shown in the tooltip
    weight: int = 1  # how many edges (API versions) link it to the centre


@dataclass
class PlacedNode:
    key: str
    kind: str  # "center" | "service" | "cluster"
    side: str  # "center" | "upstream" | "downstream"
    x: float
    y: float
    width: float
    height: float
    label: str  # the text drawn (possibly truncated)
    title: str  # the full text (tooltip)
    url: str = ""
    layer: str = ""
    count: int = 1  # services a cluster stands for

    @property
    def text_width(self) -> float:
        return len(self.label) * CHAR_WIDTH


@dataclass
class PlacedEdge:
    source: str
    target: str
    x1: float
    y1: float
    x2: float
    y2: float
    weight: int = 1
    title: str = ""


@dataclass
class NeighbourhoodLayout:
    width: float
    height: float
    nodes: list[PlacedNode] = field(default_factory=list)
    edges: list[PlacedEdge] = field(default_factory=list)
    upstream_total: int = 0
    downstream_total: int = 0
    title: str = ""


def truncate(text: str, max_chars: int) -> str:
    """``text`` cut to ``max_chars`` characters, with an ellipsis when cut."""
    text = " ".join(str(text).split())
    if len(text) <= max_chars:
        return text
    return text[: max(1, max_chars - 1)].rstrip() + "…"


@dataclass(frozen=True)
class _Row:
    kind: str
    key: str
    label: str
    title: str
    url: str
    layer: str
    count: int
    weight: int


@dataclass(frozen=True)
class GroupCount:
    """How many neighbours a group (team) has in all, for sides too large to pass node by node."""

    group: str
    count: int
    url: str = ""


def fold(
    nodes: Sequence[GraphNode],
    *,
    cap: int,
    max_clusters: int = 6,
    groups: Sequence[GroupCount] | None = None,
) -> list[_Row]:
    """At most ``cap`` rows: the first nodes one by one, the rest folded by group into clusters.

    ``groups`` (optional) gives every group's full count when ``nodes`` holds only the most
    important neighbours of a large side; the neighbours not in ``nodes`` are then folded too.
    """
    cap = max(cap, 2)
    max_clusters = max(1, min(max_clusters, cap - 1))
    if groups is None:
        sizes = Counter(n.group or "no team" for n in nodes)
        urls = {n.group or "no team": n.group_url for n in nodes}
    else:
        sizes = Counter({g.group or "no team": g.count for g in groups if g.count > 0})
        urls = {g.group or "no team": g.url for g in groups}
    total = sum(sizes.values())
    rows: list[_Row] = []
    if total <= cap and len(nodes) >= total:
        shown = list(nodes)
    else:
        shown = list(nodes[: cap - max_clusters])
    for n in shown:
        title = (
            n.label + (f" · {n.group}" if n.group else "") + (f" · {n.detail}" if n.detail else "")
        )
        rows.append(_Row("service", n.key, n.label, title, n.url, n.layer, 1, n.weight))
        sizes[n.group or "no team"] -= 1
    rest = sorted(((g, c) for g, c in sizes.items() if c > 0), key=lambda kv: (-kv[1], kv[0]))
    if not rest:
        return rows
    if len(rest) > max_clusters:
        named, tail = rest[: max_clusters - 1], rest[max_clusters - 1 :]
    else:
        named, tail = rest, []
    for group, count in named:
        label = f"+{count} more · {group}"
        title = f"{count} more service{'s' if count != 1 else ''} of {group}"
        rows.append(
            _Row("cluster", f"cluster:{group}", label, title, urls.get(group, ""), "", count, count)
        )
    if tail:
        count = sum(c for _, c in tail)
        label = f"+{count} more in {len(tail)} teams"
        names = ", ".join(g for g, _ in tail[:20]) + (", …" if len(tail) > 20 else "")
        title = f"{count} more services in {len(tail)} other teams: {names}"
        rows.append(_Row("cluster", "cluster:*", label, title, "", "", count, count))
    return rows


def neighbourhood_layout(
    *,
    center: GraphNode,
    upstream: Sequence[GraphNode],
    downstream: Sequence[GraphNode],
    cap: int = 18,
    width: int = 960,
    upstream_groups: Sequence[GroupCount] | None = None,
    downstream_groups: Sequence[GroupCount] | None = None,
) -> NeighbourhoodLayout:
    """Place ``center`` in the middle, what it depends on (``upstream``) on the left and what
    depends on it (``downstream``) on the right; at most ``cap`` rows per side."""
    row_h, node_h, top = 30, 22, 44
    col_w = round(width * 0.31)
    center_w = round(width * 0.24)
    max_chars = int((col_w - 16) / CHAR_WIDTH)
    center_chars = int((center_w - 16) / CHAR_WIDTH)

    left_rows = fold(upstream, cap=cap, groups=upstream_groups)
    right_rows = fold(downstream, cap=cap, groups=downstream_groups)
    up_total = sum(r.count for r in left_rows)
    down_total = sum(r.count for r in right_rows)
    n_rows = max(len(left_rows), len(right_rows), 1)
    height = top + n_rows * row_h + 16

    layout = NeighbourhoodLayout(
        width=width,
        height=height,
        upstream_total=up_total,
        downstream_total=down_total,
        title=f"{center.label}: depends on {up_total}, used by {down_total}",
    )
    cx = (width - center_w) / 2
    cy = top + (n_rows * row_h) / 2 - node_h / 2 - (row_h - node_h) / 2
    center_node = PlacedNode(
        key=center.key,
        kind="center",
        side="center",
        x=cx,
        y=cy,
        width=center_w,
        height=node_h + 8,
        label=truncate(center.label, center_chars),
        title=center.label + (f" · {center.group}" if center.group else ""),
        url=center.url,
        layer=center.layer,
    )
    layout.nodes.append(center_node)

    def place(rows: list[_Row], side: str, x: float) -> None:
        block = len(rows) * row_h
        y0 = top + (n_rows * row_h - block) / 2
        for i, row in enumerate(rows):
            node = PlacedNode(
                key=row.key,
                kind=row.kind,
                side=side,
                x=x,
                y=y0 + i * row_h,
                width=col_w,
                height=node_h,
                label=truncate(row.label, max_chars),
                title=row.title,
                url=row.url,
                layer=row.layer,
                count=row.count,
            )
            layout.nodes.append(node)
            mid_y = node.y + node_h / 2
            c_mid = center_node.y + center_node.height / 2
            if side == "upstream":  # centre → provider: the arrow points at what it depends on
                edge = PlacedEdge(
                    center.key, row.key, cx, c_mid, x + col_w, mid_y, row.weight, row.title
                )
            else:  # consumer → centre
                edge = PlacedEdge(
                    row.key, center.key, x, mid_y, cx + center_w, c_mid, row.weight, row.title
                )
            layout.edges.append(edge)

    place(left_rows, "upstream", 8)
    place(right_rows, "downstream", width - col_w - 8)
    return layout


def _attrs(**kwargs) -> str:
    return " ".join(
        f'{k.rstrip("_").replace("_", "-")}="{escape(str(v), quote=True)}"'
        for k, v in kwargs.items()
        if v is not None and v != ""
    )


def _node_svg(node: PlacedNode) -> str:
    if node.kind == "cluster":
        fill, stroke = CLUSTER_COLOURS
    else:
        fill, stroke = LAYER_COLOURS.get(node.layer, DEFAULT_COLOURS)
    dash = ' stroke-dasharray="4 3"' if node.kind == "cluster" else ""
    weight = "600" if node.kind == "center" else "400"
    text_x = node.x + 8
    text_y = node.y + node.height / 2 + FONT_SIZE / 2 - 2
    inner = (
        f"<title>{escape(node.title)}</title>"
        f"<rect {_attrs(x=f'{node.x:.1f}', y=f'{node.y:.1f}', width=f'{node.width:.1f}', height=f'{node.height:.1f}', rx=5, fill=fill, stroke=stroke)}"
        f'{dash} stroke-width="{2 if node.kind == "center" else 1}"/>'
        f'<text {_attrs(x=f"{text_x:.1f}", y=f"{text_y:.1f}")} font-size="{FONT_SIZE}"'
        f' font-weight="{weight}" fill="#1d2330">{escape(node.label)}</text>'
    )
    cls = f"graph-node graph-{node.kind}" + (f" layer-{node.layer}" if node.layer else "")
    data = _attrs(class_=cls, data_key=node.key, data_side=node.side)
    if node.url:
        return f"<a {_attrs(href=node.url)} {data}>{inner}</a>"
    return f"<g {data}>{inner}</g>"


def _edge_svg(edge: PlacedEdge, *, marker: str, cluster: bool) -> str:
    mx = (edge.x1 + edge.x2) / 2
    d = (
        f"M{edge.x1:.1f},{edge.y1:.1f} C{mx:.1f},{edge.y1:.1f} {mx:.1f},{edge.y2:.1f} "
        f"{edge.x2:.1f},{edge.y2:.1f}"
    )
    width = 1.5 if cluster else min(1 + (edge.weight - 1) * 0.5, 4)
    dash = ' stroke-dasharray="5 4"' if cluster else ""
    return (
        f'<path class="graph-edge" d="{d}" fill="none" stroke="#8b95a7" '
        f'stroke-width="{width:.1f}"{dash} marker-end="url(#{escape(marker)})">'
        f"<title>{escape(edge.title)}</title></path>"
    )


def render_neighbourhood_svg(layout: NeighbourhoodLayout, *, svg_id: str = "neighbourhood") -> str:
    """The SVG markup of a laid-out neighbourhood (safe to embed in HTML)."""
    w, h = layout.width, layout.height
    col_w = round(w * 0.31)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{escape(svg_id)}" class="graph" '
        f'viewBox="0 0 {w:.0f} {h:.0f}" width="100%" role="group" '
        f'aria-labelledby="{escape(svg_id)}-title" data-upstream="{layout.upstream_total}" '
        f'data-downstream="{layout.downstream_total}">',
        f'<title id="{escape(svg_id)}-title">{escape(layout.title)}</title>',
        f'<defs><marker id="{escape(svg_id)}-arrow" viewBox="0 0 10 10" refX="9" refY="5" '
        'markerWidth="8" markerHeight="8" markerUnits="userSpaceOnUse" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#8b95a7"/></marker></defs>',
        f'<text x="8" y="22" font-size="13" font-weight="600" fill="#5b6475">Depends on '
        f"({layout.upstream_total})</text>",
        f'<text x="{w - col_w - 8:.0f}" y="22" font-size="13" font-weight="600" fill="#5b6475">'
        f"Used by ({layout.downstream_total})</text>",
    ]
    clusters = {n.key for n in layout.nodes if n.kind == "cluster"}
    parts.extend(
        _edge_svg(e, marker=f"{svg_id}-arrow", cluster=e.source in clusters or e.target in clusters)
        for e in layout.edges
    )
    parts.extend(_node_svg(n) for n in layout.nodes)
    if not layout.upstream_total and not layout.downstream_total:
        parts.append(
            f'<text x="{w / 2:.0f}" y="{h - 6:.0f}" font-size="12" text-anchor="middle" '
            'fill="#5b6475">No dependencies in either direction yet.</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def neighbourhood_svg(
    *,
    center: GraphNode,
    upstream: Sequence[GraphNode],
    downstream: Sequence[GraphNode],
    cap: int = 18,
    upstream_groups: Sequence[GroupCount] | None = None,
    downstream_groups: Sequence[GroupCount] | None = None,
) -> str:
    """Layout and render in one go."""
    return render_neighbourhood_svg(
        neighbourhood_layout(
            center=center,
            upstream=upstream,
            downstream=downstream,
            cap=cap,
            upstream_groups=upstream_groups,
            downstream_groups=downstream_groups,
        )
    )


# --- the layered view -----------------------------------------------------------------------


@dataclass
class LayerBox:
    layer: str
    label: str
    services: int
    internal: int  # dependencies within the layer
    x: float
    y: float
    width: float
    height: float
    url: str = ""


@dataclass
class LayerFlow:
    consumer: str
    provider: str
    count: int
    path: str
    label_x: float
    label_y: float
    upward: bool  # a lower layer depending on a higher one: usually a layering smell


@dataclass
class LayersLayout:
    width: float
    height: float
    boxes: list[LayerBox]
    flows: list[LayerFlow]


def layers_layout(
    *,
    service_counts: dict[str, int],
    flows: Iterable[tuple[str, str, int]],
    urls: dict[str, str] | None = None,
    width: int = 760,
) -> LayersLayout:
    """Three stacked layer boxes; arrows for the dependencies flowing from consumer layer to
    provider layer (downward arrows on the right, upward ones on the left), with their counts."""
    urls = urls or {}
    box_w, box_h, gap, top = 360, 84, 70, 20
    box_x = (width - box_w) / 2
    boxes: dict[str, LayerBox] = {}
    matrix: dict[tuple[str, str], int] = {}
    for consumer, provider, count in flows:
        if consumer in LAYER_ORDER and provider in LAYER_ORDER and count:
            matrix[(consumer, provider)] = matrix.get((consumer, provider), 0) + int(count)
    for i, layer in enumerate(LAYER_ORDER):
        boxes[layer] = LayerBox(
            layer=layer,
            label=LAYER_LABELS[layer],
            services=int(service_counts.get(layer, 0)),
            internal=matrix.get((layer, layer), 0),
            x=box_x,
            y=top + i * (box_h + gap),
            width=box_w,
            height=box_h,
            url=urls.get(layer, ""),
        )
    height = top + len(LAYER_ORDER) * (box_h + gap) - gap + 20
    placed: list[LayerFlow] = []
    rank = {layer: i for i, layer in enumerate(LAYER_ORDER)}
    for (consumer, provider), count in sorted(matrix.items(), key=lambda kv: kv[0]):
        if consumer == provider:
            continue
        a, b = boxes[consumer], boxes[provider]
        upward = rank[consumer] > rank[provider]
        span = abs(rank[consumer] - rank[provider])
        if not upward:  # right side, outward by span
            x0 = a.x + a.width
            bulge = x0 + 50 + 60 * (span - 1)
            y1, y2 = (
                a.y + a.height * (0.55 + 0.2 * (span - 1)),
                b.y + b.height * (0.3 - 0.1 * (span - 1)),
            )
        else:
            x0 = a.x
            bulge = x0 - 50 - 60 * (span - 1)
            y1, y2 = (
                a.y + a.height * (0.45 - 0.2 * (span - 1)),
                b.y + b.height * (0.7 + 0.1 * (span - 1)),
            )
        path = f"M{x0:.1f},{y1:.1f} C{bulge:.1f},{y1:.1f} {bulge:.1f},{y2:.1f} {x0:.1f},{y2:.1f}"
        label_x = x0 + (bulge - x0) * 0.75 + (8 if not upward else -8)
        placed.append(
            LayerFlow(consumer, provider, count, path, label_x, (y1 + y2) / 2 + 4, upward)
        )
    return LayersLayout(width=width, height=height, boxes=list(boxes.values()), flows=placed)


def _n(count: int, singular: str, plural: str | None = None) -> str:
    return f"{count} {singular if count == 1 else (plural or singular + 's')}"


def render_layers_svg(layout: LayersLayout, *, svg_id: str = "layers") -> str:
    total = sum(b.services for b in layout.boxes)
    deps = sum(f.count for f in layout.flows) + sum(b.internal for b in layout.boxes)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{escape(svg_id)}" class="graph layers" '
        f'viewBox="0 0 {layout.width:.0f} {layout.height:.0f}" width="100%" role="group" '
        f'aria-labelledby="{escape(svg_id)}-title">',
        f'<title id="{escape(svg_id)}-title">The platform in layers: {total} services, '
        f"{deps} dependencies</title>",
        "<defs>"
        + "".join(
            f'<marker id="layer-arrow-{name}" viewBox="0 0 10 10" refX="9" refY="5" '
            f'markerWidth="11" markerHeight="11" markerUnits="userSpaceOnUse" '
            f'orient="auto-start-reverse">'
            f'<path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>'
            for name, colour in (("down", "#5b6475"), ("up", "#9a6700"))
        )
        + "</defs>",
    ]
    for f in layout.flows:
        colour = "#9a6700" if f.upward else "#5b6475"
        width = min(1.5 + f.count / 40, 7)
        anchor = "start" if not f.upward else "end"
        title = (
            f"{_n(f.count, 'dependency', 'dependencies')} from {LAYER_LABELS[f.consumer]} "
            f"to {LAYER_LABELS[f.provider]}"
        )
        parts.append(
            f'<g class="layer-flow" data-from="{f.consumer}" data-to="{f.provider}" '
            f'data-count="{f.count}"><title>{escape(title)}</title>'
            f'<path d="{f.path}" fill="none" stroke="{colour}" stroke-width="{width:.1f}" '
            f'marker-end="url(#layer-arrow-{"up" if f.upward else "down"})"/>'
            f'<text x="{f.label_x:.1f}" y="{f.label_y:.1f}" font-size="13" '
            f'text-anchor="{anchor}" fill="{colour}">{f.count}</text></g>'
        )
    for b in layout.boxes:
        fill, stroke = LAYER_COLOURS[b.layer]
        inner = (
            f"<title>{escape(b.label)}: {_n(b.services, 'service')}, "
            f"{_n(b.internal, 'dependency', 'dependencies')} "
            f"within the layer</title>"
            f'<rect x="{b.x:.1f}" y="{b.y:.1f}" width="{b.width:.1f}" height="{b.height:.1f}" '
            f'rx="8" fill="{fill}" stroke="{stroke}" stroke-width="2"/>'
            f'<text x="{b.x + 16:.1f}" y="{b.y + 30:.1f}" font-size="16" font-weight="600" '
            f'fill="{stroke}">{escape(b.label)}</text>'
            f'<text x="{b.x + 16:.1f}" y="{b.y + 54:.1f}" font-size="13" fill="#1d2330">'
            f"{_n(b.services, 'service')} · {_n(b.internal, 'dependency', 'dependencies')} within"
            "</text>"
        )
        attrs = f'class="layer-box" data-layer="{b.layer}" data-services="{b.services}"'
        if b.url:
            parts.append(f'<a href="{escape(b.url, quote=True)}" {attrs}>{inner}</a>')
        else:
            parts.append(f"<g {attrs}>{inner}</g>")
    parts.append("</svg>")
    return "".join(parts)
