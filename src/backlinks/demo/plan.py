"""Plan the structure of each synthetic site: its pages, URLs, titles and text.

A site's pages follow its catalogue entry's URL layout (``category``, ``dated``, ``flat`` or
``query``); text is filler sentences from the topic's vocabulary, so exact-match keywords
appear in titles, slugs and paragraphs as on real sites. All randomness comes from the
planner's seeded ``random.Random``.
"""

from __future__ import annotations

import random
import re
import unicodedata
from datetime import date, datetime, timedelta
from typing import Final

from backlinks.demo.catalogue import TOPICS, SiteSpec, Vocab
from backlinks.demo.model import SPAM_SOURCES, PagePlan, PlannedLink, SiteInfo, SitePlan, page_url
from backlinks.demo.render import internal_href
from backlinks.urls import host_of

__all__ = ["LEADS", "SitePlanner", "article_path", "cap", "index_path", "slugify", "vocab_of"]

#: Title of the about page by language.
ABOUT: Final = {"en": "About us", "fr": "À propos", "de": "Über uns"}
#: Words leading into an in-text link.
LEADS: Final = ("See", "We liked", "More in", "As explained in", "Worth reading:", "Compare")


def cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def slugify(text: str, *, fold: bool) -> str:
    """URL slug; ``fold`` strips accents (most sites), otherwise Unicode letters stay."""
    text = text.replace("ß", "ss")
    if fold:
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[\W_]+", "-", text.lower()).strip("-")


def vocab_of(spec: SiteSpec) -> Vocab:
    return TOPICS.get((spec.topic, spec.lang.split("-")[0])) or TOPICS[(spec.topic, "en")]


def index_path(spec: SiteSpec, kind: str, slug: str = "") -> str:
    """Path of a category (``kind="category"``) or the about page in the site's layout."""
    style = spec.url_style
    if kind == "about":
        return {"flat": "/about.html", "query": "/index.php?seite=impressum"}.get(style, "/about/")
    return {
        "category": f"/{slug}/",
        "dated": f"/category/{slug}/",
        "flat": f"/topics/{slug}.html",
    }.get(style, f"/index.php?kat={slug}")


def article_path(spec: SiteSpec, category: str, slug: str, ident: int, day: date) -> str:
    """Path of an article in the site's layout (``ident`` numbers query-string articles)."""
    style = spec.url_style
    if style == "category":
        return f"/{category}/{slug}/"
    if style == "dated":
        return f"/{day.year}/{day.month:02d}/{slug}/"
    if style == "flat":
        return f"/{slug}.html"
    return f"/rezept.php?id={101 + ident}"


class SitePlanner:
    """Plans the sites' pages and text; :class:`~backlinks.demo.links.LinkPlanner` adds
    the links. One instance per generate or evolve call."""

    def __init__(self, rng: random.Random, plans: list[SitePlan], when: datetime) -> None:
        self.rng = rng
        self.plans = plans
        self.when = when

    def role(self, role: str) -> list[SitePlan]:
        return [p for p in self.plans if p.info.role == role]

    def normal(self) -> list[SitePlan]:
        return [p for p in self.plans if not p.info.is_spam]

    # ---- structure -------------------------------------------------------------------------

    def internal_links(self, site: SitePlan, page: PagePlan) -> None:
        """One to three in-text links from an article to other articles of its site."""
        rng = self.rng
        others = [a for a in site.articles() if a is not page]
        for target in rng.sample(others, min(len(others), rng.randint(1, 3))):
            href = internal_href(site, page.path, target.path)
            para = rng.randrange(len(page.paragraphs))
            page.links.append(PlannedLink(href, target.keyword, para=para, lead=rng.choice(LEADS)))

    def para(self, vocab: Vocab, kw: str, count: int = 0) -> str:
        rng = self.rng
        out = []
        for _ in range(count or rng.randint(2, 4)):
            sentence = rng.choice(vocab.sentences).format(
                noun=rng.choice(vocab.nouns),
                noun2=rng.choice(vocab.nouns),
                adj=rng.choice(vocab.adjectives),
                adj2=rng.choice(vocab.adjectives),
                kw=kw,
                Kw=cap(kw),
                n=rng.randint(3, 12),
            )
            out.append(cap(sentence))
        return " ".join(out)

    def article(self, site: SitePlan, kw: str, ident: int, day: date) -> PagePlan:
        spec, vocab, rng = site.spec, vocab_of(site.spec), self.rng
        fold = spec.lang != "en" or spec.encoding != "utf-8"
        category = site.categories[ident % len(site.categories)][0]
        slug = slugify(kw, fold=fold) + (f"-{ident}" if ident >= len(vocab.keywords) else "")
        title = rng.choice(vocab.titles).format(
            Kw=cap(kw), kw=kw, adj=rng.choice(vocab.adjectives), n=rng.randint(3, 12)
        )
        return PagePlan(
            path=article_path(spec, category, slug, ident, day),
            kind="article",
            title=title,
            keyword=kw,
            category=category,
            published=day,
            paragraphs=[self.para(vocab, kw) for _ in range(rng.randint(3, 6))],
        )

    def site(self, spec: SiteSpec, index: int) -> SitePlan:
        rng, vocab = self.rng, vocab_of(spec)
        host = host_of(page_url(f"{spec.scheme}://{spec.host}/"))
        is_spam = spec.role in SPAM_SOURCES
        info = SiteInfo(host, spec.topic, is_spam, spec.name, spec.role, spec.lang, spec.encoding)
        n = rng.randint(*spec.pages)
        ncat = max(1, min(len(vocab.categories), (n - 3) // 4))
        weight = {"featured": 12.0, "hub": 6.0}.get(spec.role, min(5.0, rng.paretovariate(1.6)))
        site = SitePlan(spec, info, weight, vocab.categories[:ncat], missing_served=index % 2 == 0)
        day = self.when.date()
        kw0 = vocab.keywords[0]
        site.pages.append(
            PagePlan("/", "home", f"{cap(kw0)}, {vocab.keywords[1]} and more", kw0,
                     paragraphs=[self.para(vocab, kw0)])
        )  # fmt: skip
        for slug, label in site.categories:
            path = index_path(spec, "category", slug)
            site.pages.append(
                PagePlan(
                    path, "category", label, category=slug, paragraphs=[self.para(vocab, label)]
                )
            )
        about = ABOUT.get(spec.lang.split("-")[0], "About us")
        site.pages.append(
            PagePlan(index_path(spec, "about"), "about", about,
                     paragraphs=[self.para(vocab, kw0), self.para(vocab, kw0)])
        )  # fmt: skip
        keywords = list(vocab.keywords)
        rng.shuffle(keywords)
        extras = (n >= 20) + 2 * (spec.role == "featured")
        for i in range(max(2, n - len(site.pages) - extras)):
            published = day - timedelta(days=rng.randint(3, 900))
            site.pages.append(self.article(site, keywords[i % len(keywords)], i, published))
        arts = site.articles()
        if n >= 20:
            kw = arts[0].keyword
            tag = PagePlan(
                f"/tag/{slugify(kw, fold=True)}/", "tag", f"Tag: {kw}", kw, robots="noindex, follow"
            )
            site.pages.append(tag)
        if spec.role == "featured":
            kw = arts[1].keyword
            q = kw.replace(" ", "+")
            site.pages.append(
                PagePlan(
                    f"/search/?q={q}", "search", f"Search: {kw}", kw, robots="noindex, nofollow"
                )
            )
            first = arts[0]
            site.pages.append(
                PagePlan(f"/print{first.path}", "print", first.title, first.keyword,
                         paragraphs=list(first.paragraphs), canonical=site.url(first.path))
            )  # fmt: skip
        if spec.role in ("featured", "hub"):
            bare = f"http://{host.removeprefix('www.')}/"
            site.redirects.append((page_url(bare), site.url("/")))
            moved = f"/guides/{slugify(arts[-1].keyword, fold=True)}/"
            site.redirects.append((site.url(moved), site.url(arts[-1].path)))
        old = f"{slugify(kw0, fold=True)}-2019"  # an article deleted long ago
        site.missing.append(article_path(spec, site.categories[0][0], old, 9898, date(2019, 4, 1)))
        return site
