"""The pure parts of link quality: anchor classes, reciprocal link networks and twin groups,
checked against brute-force references on generated graphs."""

from __future__ import annotations

import itertools
import random

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from backlinks.graph.csr import Graph, from_edges
from backlinks.quality.anchors import Brand, anchor_class, is_commercial, normalize, target_words
from backlinks.quality.networks import reciprocal_clusters, twin_groups

BRAND = Brand.of("velo-trails.com", ["Velo Trails"])
SLUG, TITLE = target_words(
    "https://www.velo-trails.com/gravel/gravel-bike-tyres/", "Gravel bike tyres: a guide"
)


@pytest.mark.parametrize(
    ("anchor", "image", "expected"),
    [
        ("Velo Trails", False, "branded"),
        ("the VeloTrails blog", False, "branded"),
        ("velo-trails.com", False, "url"),
        ("https://www.velo-trails.com/gravel/", False, "url"),
        ("www.velo-trails.com", False, "url"),
        ("click here", False, "generic"),
        ("Read more »", False, "generic"),
        ("hier klicken", False, "generic"),
        ("gravel bike tyres", False, "exact"),
        ("Gravel Bike Tyres", False, "exact"),
        ("the best gravel tyres", False, "partial"),
        ("tyres", False, "partial"),
        ("our favourite shop", False, "other"),
        ("", True, "image"),
        ("", False, "other"),
    ],
)
def test_anchor_classes(anchor: str, image: bool, expected: str) -> None:
    got = anchor_class(anchor, is_image=image, brand=BRAND, slug_words=SLUG, title_words=TITLE)
    assert got == expected


def test_target_words_and_commercial() -> None:
    assert target_words("https://a.com/rezept.php?id=3", None) == (
        frozenset({"rezept"}),
        frozenset(),
    )
    assert target_words("https://a.com/", "Home")[0] == frozenset()
    assert normalize("  Crème   Brûlée!! ") == "creme brulee"
    assert is_commercial("Cheap bike deals")
    assert is_commercial("BUY tyres online")
    assert not is_commercial("Velo Trails")
    assert not is_commercial("a gravel guide")


def _reference_clusters(edges: list[tuple[int, int]], min_size: int) -> set[frozenset[int]]:
    """networkx: 2-core of the reciprocal graph, its connected parts."""
    d = nx.DiGraph(edges)
    und = nx.Graph((u, v) for u, v in d.edges if d.has_edge(v, u))
    core = nx.k_core(und, 2)
    return {frozenset(c) for c in nx.connected_components(core) if len(c) >= min_size}


def _graph(edges: list[tuple[int, int]]) -> Graph:
    """A graph whose stable ids are the node numbers used in ``edges``."""
    nodes = sorted({x for e in edges for x in e})
    dense = {v: i for i, v in enumerate(nodes)}
    src = [dense[u] for u, _ in edges]
    dst = [dense[v] for _, v in edges]
    return from_edges(src, dst, len(nodes), ids=np.asarray(nodes), level="domain")


def test_reciprocal_clusters_find_planted_farms() -> None:
    rng = random.Random(5)
    n = 300
    edges = {(u, rng.randrange(n)) for u in range(n) for _ in range(4)}
    farms = [list(range(1000, 1006)), list(range(2000, 2004))]
    for farm in farms:
        edges |= {(u, v) for u, v in itertools.permutations(farm, 2)}
        edges |= {(u, 7) for u in farm}  # the money site
    edges = {(u, v) for u, v in edges if u != v}
    g = _graph(sorted(edges))
    found = reciprocal_clusters(g, min_size=3, min_density=0.5, min_inside=0.5)
    got = {frozenset(c.members) for c in found}
    assert {frozenset(f) for f in farms} <= got
    for c in found:
        assert c.density >= 0.5
        assert c.inside >= 0.5
        assert frozenset(c.members) in _reference_clusters(sorted(edges), 3) or any(
            frozenset(c.members) <= ref for ref in _reference_clusters(sorted(edges), 3)
        )
    farm = next(c for c in found if set(c.members) == set(farms[0]))
    assert farm.density == 1.0
    assert farm.inside == 1.0  # nobody outside links the farm


def test_reciprocal_clusters_reject_sparse_rings_and_popular_friends() -> None:
    ring = [(i, (i + 1) % 8) for i in range(8)] + [((i + 1) % 8, i) for i in range(8)]
    ring += [(i, 100 + j) for i in range(8) for j in range(6)]  # most links leave the ring
    assert reciprocal_clusters(_graph(ring)) == []  # density 16/56
    friends = [(u, v) for u, v in itertools.permutations(range(4), 2)]  # a full clique...
    friends += [(100 + j, v) for j in range(30) for v in range(4)]  # ...linked from outside
    assert reciprocal_clusters(_graph(friends)) == []
    assert len(reciprocal_clusters(_graph(friends), min_inside=0.05)) == 1


def test_twin_groups_against_brute_force() -> None:
    rng = random.Random(9)
    sets = {o: set(rng.sample(range(40), rng.randint(2, 8))) for o in range(60)}
    for o in (100, 101, 102):
        sets[o] = {500, 501, 502, 503}
    sets[103] = {500, 501, 502, 504}
    pairs = pd.DataFrame([(o, e) for o, s in sets.items() for e in s], columns=["owner", "element"])
    groups = twin_groups(pairs, min_jaccard=0.6, min_shared=2)
    ref = nx.Graph()
    for a, b in itertools.combinations(sets, 2):
        shared = len(sets[a] & sets[b])
        if shared >= 2 and shared / len(sets[a] | sets[b]) >= 0.6:
            ref.add_edge(a, b)
    assert {frozenset(g.members) for g in groups} == {
        frozenset(c) for c in nx.connected_components(ref)
    }
    assert {100, 101, 102, 103} in [set(g.members) for g in groups]
