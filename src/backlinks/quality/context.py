"""What toxic-link judgements share across targets: host spam scores, the domain graph and
its link networks, and names. Built once per store (and per set of trust seeds), then
reused for every target asked about.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from backlinks import urls
from backlinks.graph.build import build_graph
from backlinks.graph.csr import Graph
from backlinks.quality.networks import Cluster, reciprocal_clusters, twin_groups
from backlinks.store.db import Store

__all__ = ["QualityContext", "quality_context"]

#: Twins: groups of at least 3 referring domains whose shared link sets have at least this
#: Jaccard similarity and at least this many shared URLs (a pair of sites with the same
#: links is common; a network is not); see :func:`backlinks.quality.networks.twin_groups`.
TWIN_JACCARD: Final = 0.7
TWIN_SHARED: Final = 3
#: Twins: URLs linked from more domains than this are too common to mark a shared plan.
TWIN_MAX_SHARING: Final = 200
#: A domain is "boosted" when this many of its referring domains, and this share of them,
#: are network or twin-group members linking it with commercial anchors.
BOOSTED_MIN: Final = 3
BOOSTED_SHARE: Final = 0.3
#: Host spam scores from which reasons are written (toxic evidence starts there too).
REASONS_FROM: Final = 0.7


@dataclass(slots=True)
class QualityContext:
    """Shared state of quality judgements (see the module docstring)."""

    store: Store
    host_ids: npt.NDArray[np.int64]  # sorted stable host ids
    host_scores: npt.NDArray[np.float64]  # spam score in [0, 1] per host
    host_mass: npt.NDArray[np.float64]  # relative spam mass per host (NaN without seeds)
    host_why: dict[int, str]  # reasons, for hosts that score at least 0.7
    domain_graph: Graph
    networks: dict[str, Cluster]
    twins: dict[str, Cluster]
    boosted: dict[int, tuple[int, int]]  # domain → (spam referrers, referring domains)
    _names: dict[int, str] = field(default_factory=dict)

    def host_values(self, host_ids: npt.ArrayLike) -> tuple[npt.NDArray[np.float64], ...]:
        """Spam score and relative spam mass of many hosts (0 and NaN where unknown)."""
        want = np.asarray(host_ids, dtype=np.int64)
        pos = np.clip(np.searchsorted(self.host_ids, want), 0, max(self.host_ids.size - 1, 0))
        found = (self.host_ids.size > 0) & (self.host_ids[pos] == want)
        score = np.where(found, self.host_scores[pos] if self.host_ids.size else 0.0, 0.0)
        mass = np.where(found, self.host_mass[pos] if self.host_ids.size else np.nan, np.nan)
        return score, mass

    def host_score(self, host_id: int) -> tuple[float, str]:
        """Spam score of a host (0 when unknown) and its reasons."""
        pos = int(np.searchsorted(self.host_ids, host_id))
        if pos < self.host_ids.size and self.host_ids[pos] == host_id:
            return float(self.host_scores[pos]), self.host_why.get(host_id, "")
        return 0.0, ""

    def domain_name(self, domain_id: int) -> str:
        if domain_id not in self._names:
            row = self.store.con.execute(
                "SELECT domain FROM domains WHERE domain_id = ?", [domain_id]
            ).fetchone()
            self._names[domain_id] = str(row[0]) if row else str(domain_id)
        return self._names[domain_id]

    def site_names(self, domain: str) -> list[str]:
        """Titles of the domain's home pages, split at the usual separators: the brand."""
        from backlinks.quality.anchor_evidence import site_names  # noqa: PLC0415 - no cycle

        rows = self.store.con.execute(
            "SELECT DISTINCT title FROM pages WHERE domain_id = ? AND title IS NOT NULL "
            "AND regexp_matches(url, '^https?://[^/]+/?$') LIMIT 5",
            [urls.stable_id(domain)],
        ).fetchall()
        return site_names([str(r[0]) for r in rows])

    def spam_hosts(self, limit: int | None = 50) -> pd.DataFrame:
        """Hosts by spam score (0–100), highest first, with reasons for the high ones."""
        order = np.argsort(-self.host_scores, kind="stable")
        if limit:
            order = order[:limit]
        ids = self.host_ids[order]
        names = dict(
            self.store.con.execute(
                "SELECT host_id, host FROM hosts WHERE host_id IN (SELECT unnest(?::BIGINT[]))",
                [ids.tolist()],
            ).fetchall()
        )
        return pd.DataFrame(
            {
                "host": [names.get(int(i), str(int(i))) for i in ids],
                "spam_score": np.round(100 * self.host_scores[order], 1),
                "spam_mass": np.round(self.host_mass[order], 3),
                "reasons": [self.host_why.get(int(i), "") for i in ids],
                "host_id": ids,
            }
        )

    def twins_for(self, ev: pd.DataFrame) -> dict[str, Cluster]:
        """The twin groups (see :func:`find_twins`) with members among ``ev``'s referrers."""
        present = set(ev.src_domain_id.tolist())
        return {k: c for k, c in self.twins.items() if present.intersection(c.members)}


def find_twins(store: Store, *, max_sharing: int = TWIN_MAX_SHARING) -> dict[str, Cluster]:
    """Groups of at least 3 domains with near-identical followed outlinks ("outlink group"),
    or near-identical sitewide links — on at least half their pages — ("template group"),
    compared as sets of target URLs that at least two domains link (an owner's unique
    links, e.g. its own social profiles, say nothing of a shared plan). URLs linked from
    more than ``max_sharing`` domains are too common to mark a plan and are left out, which
    also bounds the pairwise work on a big web."""
    pairs = store.query(
        """
        WITH site AS (
            SELECT src_host_id, count(DISTINCT src_url_id) AS n FROM links GROUP BY 1
        ), used AS (
            SELECT l.src_domain_id AS owner, l.dst_url_id AS element,
                   count(DISTINCT l.src_url_id) >= 0.5 * any_value(site.n)
                       AND any_value(site.n) >= 2 AS sitewide
            FROM links l JOIN site USING (src_host_id)
            WHERE l.dst_domain_id <> l.src_domain_id AND NOT (l.nofollow OR l.ugc OR l.sponsored)
            GROUP BY l.src_domain_id, l.src_host_id, l.dst_url_id
        ), popular AS (
            SELECT element FROM used GROUP BY 1
            HAVING count(DISTINCT owner) >= 2 AND count(DISTINCT owner) <= ?
        )
        SELECT owner, element, sitewide FROM used WHERE element IN (SELECT element FROM popular)
        """,
        [max_sharing],
    )
    groups: dict[str, Cluster] = {}
    for name, part in (("outlink", pairs), ("template", pairs[pairs.sitewide])):
        found = twin_groups(part, min_jaccard=TWIN_JACCARD, min_shared=TWIN_SHARED, min_size=3)
        for i, cluster in enumerate(found, 1):
            groups[f"{name} group #{i}"] = cluster
    return groups


def score_hosts(
    g: Graph, *, seeds: list[int] | None = None, auto_seeds: int = 0
) -> tuple[npt.NDArray[np.float64], list[str], npt.NDArray[np.float64]]:
    """Spam score in [0, 1] of every host of a host graph, its relative spam mass (NaN
    without seeds), and the reasons of those scoring
    :data:`REASONS_FROM` or more: link features (with TrustRank when seeds are given or
    chosen) through the default unsupervised formula of :mod:`backlinks.quality.hostspam`."""
    from backlinks.analysis.authority import dense_of  # noqa: PLC0415 - numba import
    from backlinks.quality import hostspam  # noqa: PLC0415
    from backlinks.quality.hostfeatures import host_features  # noqa: PLC0415
    from backlinks.rank.pagerank import pagerank  # noqa: PLC0415
    from backlinks.rank.trust import select_seeds, trustrank  # noqa: PLC0415

    if g.n == 0:
        return np.zeros(0), [], np.zeros(0)
    pr = pagerank(g).scores.astype(np.float64)
    chosen = np.zeros(0, dtype=np.int64)
    if seeds:
        chosen = dense_of(g, seeds)
        chosen = chosen[chosen >= 0]
    elif auto_seeds > 0:
        chosen = select_seeds(g, k=auto_seeds)
    trust = trustrank(g, chosen).scores.astype(np.float64) if chosen.size else None
    features = host_features(g, trust=trust, pagerank=pr)
    scores = np.asarray(hostspam.spam_score(features), dtype=np.float64)
    why = [
        "; ".join(hostspam.top_reasons(features.iloc[i])) if scores[i] >= REASONS_FROM else ""
        for i in range(g.n)
    ]
    mass = hostspam.spam_mass(pr, trust)[0] if trust is not None else np.full(g.n, np.nan)
    return scores, why, np.asarray(mass, dtype=np.float64)


def quality_context(
    store: Store,
    *,
    seeds: list[int] | None = None,
    auto_seeds: int = 0,
) -> QualityContext:
    """Build the shared state: host graph → link features → host spam scores (TrustRank
    from ``seeds`` — stable host ids — or ``auto_seeds`` chosen by inverse PageRank, when
    given); domain graph → reciprocal link networks; links → twin groups."""
    hosts = build_graph(store, "host")
    scores, why, mass = score_hosts(hosts, seeds=seeds, auto_seeds=auto_seeds)
    domains = build_graph(store, "domain")
    networks = {f"link network #{i}": c for i, c in enumerate(reciprocal_clusters(domains), 1)}
    host_why = {int(hosts.ids[i]): why[i] for i in np.flatnonzero(scores >= REASONS_FROM)}
    twins = find_twins(store)
    members = {m for c in (*networks.values(), *twins.values()) for m in c.members}
    boosted = boosted_domains(store, domains, members)
    return QualityContext(
        store, hosts.ids, scores, mass, host_why, domains, networks, twins, boosted
    )


def boosted_domains(store: Store, domains: Graph, members: set[int]) -> dict[int, tuple[int, int]]:
    """Domains whose backlink profile is bought: at least :data:`BOOSTED_MIN` of their
    referring domains, and at least :data:`BOOSTED_SHARE` of them, are members of link
    networks or twin groups linking them with commercial anchors (a farm's money site; a
    site the farm links with its brand name, to look natural, is not counted)."""
    from backlinks.quality.anchors import is_commercial  # noqa: PLC0415

    if not members:
        return {}
    links = store.query(
        "SELECT DISTINCT src_domain_id, dst_domain_id, anchor FROM links "
        "WHERE src_domain_id IN (SELECT unnest(?::BIGINT[])) AND src_domain_id <> dst_domain_id "
        "AND NOT (nofollow OR ugc OR sponsored)",
        [sorted(members)],
    )
    if links.empty:
        return {}
    commercial = links[links.anchor.fillna("").map(is_commercial)]
    spam_refs = commercial.groupby("dst_domain_id").src_domain_id.nunique()
    refs = pd.Series(domains.in_degree(), index=domains.ids)
    out = {}
    for dom, n_spam in spam_refs.items():
        total = int(refs.get(dom, 0))
        if n_spam >= BOOSTED_MIN and total and n_spam / total >= BOOSTED_SHARE:
            out[int(dom)] = (int(n_spam), total)
    return out
