"""A deterministic synthetic mini-web for the demo and the tests.

``generate_web(seed)`` plans a dozen-odd sites on a few topics (:mod:`.catalogue`), their
pages (:mod:`.plan`) and their links (:mod:`.links`), then renders each page as HTML
(:mod:`.render`) into :class:`SynthPage` responses a crawler would have stored.
The link plan mimics the real web closely enough to exercise every later stage:

* power-law-ish in-degree: each site has a popularity weight, and one ``featured`` site is
  linked from every other site (the one the demo reports on);
* varied anchors (exact-match keyword, brand, naked URL, generic, partial, image) and rel
  flags (none, ``nofollow``, ``sponsored``, ``ugc``, mixed case), tracking parameters,
  protocol-relative, fragment and non-ASCII hrefs, 404 targets and redirects;
* planted spam with known ground truth (:mod:`.spam`, :meth:`SynthWeb.planted_spam`): a
  link farm (``farm`` sites linking each other and a ``money`` site with exact-match
  anchors), a private blog network (``pbn`` sites, :data:`~.catalogue.PBN_SITES`), paid posts
  on legitimate blogs, and comment spam, nofollowed and followed.

``evolve(web)`` re-renders the same web weeks later with links removed, added, turned
nofollow, pages gone or redirected, for new/lost-link features, and a burst of new spam
links to the money site. Everything derives from
``random.Random`` seeded by the arguments, so the same call yields the same bytes.
"""

from __future__ import annotations

import copy
import random
from datetime import UTC, datetime, timedelta
from typing import Final

from backlinks.demo.catalogue import SITES
from backlinks.demo.links import LinkPlanner
from backlinks.demo.model import SiteInfo, SitePlan, SpamLink, SynthPage, SynthWeb
from backlinks.demo.render import render_site

__all__ = [
    "DEFAULT_WHEN",
    "EVOLVE_AFTER",
    "MIN_SITES",
    "SiteInfo",
    "SpamLink",
    "SynthPage",
    "SynthWeb",
    "evolve",
    "generate_web",
]

#: Crawl date of the first snapshot when none is given.
DEFAULT_WHEN: Final = datetime(2024, 5, 1, 6, 0, tzinfo=UTC)
#: Time between a snapshot and its :func:`evolve`-d successor when none is given.
EVOLVE_AFTER: Final = timedelta(days=28)
#: Fewest catalogue sites a web can have (the featured site, the hub, the farm cluster, two
#: others); the private blog network comes on top.
MIN_SITES: Final = 8
#: Spacing of fetch times within a snapshot (a polite crawl).
FETCH_INTERVAL: Final = timedelta(seconds=7)


def _utc(when: datetime) -> datetime:
    """Timezone-aware UTC with whole seconds (naive times are taken as UTC)."""
    aware = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    return aware.replace(microsecond=0)


def _build(plans: list[SitePlan], seed: int, when: datetime) -> SynthWeb:
    """Render every site into responses, fetched one after another from ``when``."""
    responses = [r for site in plans for r in render_site(site)]
    pages = [
        SynthPage(url, status, body, ctype, when + i * FETCH_INTERVAL, location)
        for i, (url, status, body, ctype, location) in enumerate(responses)
    ]
    if len({p.url for p in pages}) != len(pages):  # pragma: no cover - a catalogue bug
        raise ValueError("synthetic web has duplicate URLs")
    featured = next(p.info.host for p in plans if p.info.role == "featured")
    return SynthWeb(pages, [p.info for p in plans], featured, when, seed, plans)


def generate_web(seed: int = 7, *, sites: int = 16, when: datetime | None = None) -> SynthWeb:
    """A fresh synthetic web of the first ``sites`` catalogue sites (``MIN_SITES`` to
    ``len(SITES)``) plus, last, the private blog network's :data:`~.catalogue.PBN_SITES` (so
    ``sites + len(PBN_SITES)`` in all), crawled from ``when`` (default :data:`DEFAULT_WHEN`)."""
    if not MIN_SITES <= sites <= len(SITES):
        raise ValueError(f"sites must be between {MIN_SITES} and {len(SITES)}, not {sites}")
    start = _utc(when or DEFAULT_WHEN)
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not security
    planner = LinkPlanner(rng, [], start)
    planner.plans.extend(planner.site(spec, i) for i, spec in enumerate(SITES[:sites]))
    planner.plan_links()
    return _build(planner.plans, seed, start)


def evolve(web: SynthWeb, seed: int = 1, when: datetime | None = None) -> SynthWeb:
    """A later snapshot of ``web`` (default :data:`EVOLVE_AFTER` after it): about one
    external content link in eight lost and a few turned nofollow, new articles with new
    links on about half the sites (each linking the featured site), one page gone (404) and
    one redirected to its home page (never one carrying planted spam), and new farm and PBN
    pages linking the money site (a spam burst). ``web`` itself is not changed."""
    start = _utc(when) if when is not None else web.when + EVOLVE_AFTER
    rng = random.Random(f"evolve:{web.seed}:{seed}")  # noqa: S311 - reproducible test data
    planner = LinkPlanner(rng, copy.deepcopy(web.plans), start)
    planner.evolve()
    return _build(planner.plans, web.seed, start)
