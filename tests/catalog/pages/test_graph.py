"""The SVG graphs: readable at 200 neighbours, nothing overlaps, labels are escaped."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from catalog.graph import (
    CHAR_WIDTH,
    GraphNode,
    fold,
    layers_layout,
    neighbourhood_layout,
    neighbourhood_svg,
    render_layers_svg,
    truncate,
)

SVG = "{http://www.w3.org/2000/svg}"


def nodes(n: int, *, prefix: str = "svc", teams: int = 15, long: bool = True) -> list[GraphNode]:
    suffix = " with a name far too long to fit in its little box" if long else ""
    return [
        GraphNode(
            key=f"{prefix}-{i}",
            label=f"{prefix} {i}{suffix}",
            layer=("base", "core", "enabling")[i % 3],
            group=f"Team {i % teams:02d}",
            url=f"/catalog/services/{prefix}-{i}/",
            group_url=f"/catalog/teams/team-{i % teams}/",
        )
        for i in range(n)
    ]


CENTER = GraphNode(key="payments", label="Payments", layer="core", url="/catalog/services/p/")


def overlaps(a, b) -> bool:
    return not (
        a.x + a.width <= b.x
        or b.x + b.width <= a.x
        or a.y + a.height <= b.y
        or b.y + b.height <= a.y
    )


@pytest.mark.parametrize(("up", "down"), [(0, 0), (3, 5), (18, 18), (19, 200), (200, 200)])
def test_node_count_is_capped_and_everything_is_accounted_for(up, down):
    layout = neighbourhood_layout(
        center=CENTER, upstream=nodes(up, prefix="up"), downstream=nodes(down), cap=18
    )
    left = [n for n in layout.nodes if n.side == "upstream"]
    right = [n for n in layout.nodes if n.side == "downstream"]
    assert len(left) <= 18 and len(right) <= 18
    assert sum(n.count for n in left) == up  # clusters stand for the hidden ones
    assert sum(n.count for n in right) == down
    assert len(layout.edges) == len(left) + len(right)
    assert layout.upstream_total == up and layout.downstream_total == down


def test_200_neighbours_fold_into_team_clusters():
    layout = neighbourhood_layout(center=CENTER, upstream=[], downstream=nodes(200), cap=18)
    right = [n for n in layout.nodes if n.side == "downstream"]
    clusters = [n for n in right if n.kind == "cluster"]
    services = [n for n in right if n.kind == "service"]
    assert services and clusters
    # The first neighbours (the caller's priority order) are drawn one by one.
    assert [n.key for n in services] == [f"svc-{i}" for i in range(len(services))]
    assert any(n.label.startswith("+") and "· Team" in n.label for n in clusters)
    assert clusters[-1].label.startswith("+") and "more in" in clusters[-1].label


def test_no_two_nodes_overlap_and_labels_fit_their_boxes():
    layout = neighbourhood_layout(
        center=CENTER, upstream=nodes(200, prefix="up"), downstream=nodes(200), cap=18
    )
    for i, a in enumerate(layout.nodes):
        assert a.text_width <= a.width - 8, a.label  # label fits inside its own box
        assert a.x >= 0 and a.x + a.width <= layout.width
        assert a.y >= 0 and a.y + a.height <= layout.height
        for b in layout.nodes[i + 1 :]:
            assert not overlaps(a, b), (a.label, b.label)


def test_fold_keeps_small_neighbourhoods_whole():
    rows = fold(nodes(5, long=False), cap=18)
    assert [r.kind for r in rows] == ["service"] * 5


def test_truncate():
    assert truncate("short", 10) == "short"
    assert truncate("a very long service name", 10) == "a very lo…"
    assert len(truncate("x" * 100, 20)) == 20


def test_svg_is_well_formed_links_nodes_and_escapes_labels():
    evil = GraphNode(key="x", label='<script>alert("x")</script> & co', url="/s/x?a=1&b=2")
    svg = neighbourhood_svg(center=CENTER, upstream=[evil], downstream=nodes(40))
    root = ET.fromstring(svg)  # well-formed XML
    assert root.tag == f"{SVG}svg"
    assert "<script" not in svg
    links = root.findall(f".//{SVG}a")
    hrefs = {a.get("href") for a in links}
    assert "/s/x?a=1&b=2" in hrefs and "/catalog/services/svc-0/" in hrefs
    node_groups = [el for el in root.iter() if "graph-node" in (el.get("class") or "")]
    assert len(node_groups) <= 1 + 18 + 1  # centre + capped right + one left
    assert root.get("data-downstream") == "40"
    # every node carries its full name as a tooltip
    titles = [t.text for t in root.iter(f"{SVG}title")]
    assert any(t and t.startswith('<script>alert("x")</script> & co') for t in titles)


def test_empty_neighbourhood_says_so():
    svg = neighbourhood_svg(center=CENTER, upstream=[], downstream=[])
    assert "No dependencies in either direction yet." in svg
    ET.fromstring(svg)


def test_label_width_estimate_is_generous():
    # The layout assumes CHAR_WIDTH px per character at 12px; system fonts average ~6.5px.
    assert CHAR_WIDTH >= 7


def test_layers_layout_counts_and_directions():
    layout = layers_layout(
        service_counts={"base": 10, "core": 25, "enabling": 15},
        flows=[
            ("enabling", "core", 80),
            ("core", "base", 60),
            ("enabling", "base", 20),
            ("base", "core", 3),
            ("core", "core", 30),
            ("core", "unknown", 5),
        ],
        urls={"base": "/catalog/?layer=base"},
    )
    boxes = {b.layer: b for b in layout.boxes}
    assert [b.layer for b in layout.boxes] == ["enabling", "core", "base"]
    assert boxes["core"].internal == 30 and boxes["base"].services == 10
    flows = {(f.consumer, f.provider): f for f in layout.flows}
    assert set(flows) == {
        ("enabling", "core"),
        ("core", "base"),
        ("enabling", "base"),
        ("base", "core"),
    }
    assert flows[("base", "core")].upward and not flows[("enabling", "core")].upward
    for i, a in enumerate(layout.boxes):
        for b in layout.boxes[i + 1 :]:
            assert not overlaps(a, b)
    svg = render_layers_svg(layout)
    root = ET.fromstring(svg)
    assert re.search(r'data-count="80"', svg)
    assert root.find(f".//{SVG}a").get("href") == "/catalog/?layer=base"
