"""Anchor-text classes of a backlink profile, as SEO tools report them.

Each backlink's anchor is one of: ``branded`` (names the target's brand, from its domain
label or site name), ``url`` (a naked URL or host), ``exact`` (the target page's keyword: the
anchor's words are exactly the words of the target URL's slug or of its title),
``partial`` (shares a keyword word with them), ``generic`` ("click here", "website"…),
``image`` (an image link with no alt text counts here too) or ``other``. A profile whose
referring domains mostly use ``exact``/``partial`` anchors is over-optimised — the pattern
Google's Penguin update demoted — while natural profiles are led by branded and URL anchors.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final
from urllib.parse import unquote

__all__ = [
    "CLASSES",
    "COMMERCIAL",
    "GENERIC",
    "Brand",
    "anchor_class",
    "is_commercial",
    "normalize",
    "target_words",
    "words",
]

CLASSES: Final = ("branded", "exact", "partial", "url", "generic", "image", "other")

#: Anchors that say nothing about the target (English, French, German, Spanish).
GENERIC: Final = frozenset(
    {
        "click here", "here", "this", "this link", "link", "this page", "this post",
        "this article", "website", "this website", "this site", "site", "web site", "homepage",
        "home page", "home", "read more", "more", "more info", "more information", "learn more",
        "see more", "find out more", "details", "source", "via", "go", "visit", "visit website",
        "visit site", "official site", "official website", "check it out", "continue reading",
        "download", "article", "blog", "post", "page", "url",
        "ici", "cliquez ici", "en savoir plus", "lire la suite", "site web", "voir",
        "hier", "mehr", "weiterlesen", "hier klicken", "webseite", "mehr erfahren", "quelle",
        "aquí", "aqui", "haga clic aquí", "leer más", "sitio web", "más información",
    }
)  # fmt: skip
#: Words of commercial intent: anchors with them are what paid links and spam buy.
COMMERCIAL: Final = frozenset(
    {
        "buy", "cheap", "cheapest", "discount", "discounts", "deal", "deals", "offer", "offers",
        "sale", "price", "prices", "coupon", "coupons", "promo", "best", "top", "shop", "store",
        "order", "online", "free", "bonus", "casino", "poker", "bet", "betting", "loan", "loans",
        "credit", "insurance", "mortgage", "pills", "viagra", "cialis", "replica", "payday",
        "seo", "backlinks", "followers", "crypto", "forex", "review", "reviews", "vs",
    }
)  # fmt: skip
_STOP: Final = frozenset(
    [
        "a",
        "an",
        "and",
        "the",
        "of",
        "for",
        "to",
        "in",
        "on",
        "at",
        "by",
        "with",
        "from",
        "or",
        "your",
        "our",
        "my",
        "is",
        "are",
        "be",
        "how",
        "why",
        "what",
        "le",
        "la",
        "les",
        "des",
        "du",
        "de",
        "et",
        "un",
        "une",
        "pour",
        "der",
        "die",
        "das",
        "und",
        "ein",
        "eine",
        "für",
        "mit",
        "von",
        "el",
        "los",
        "las",
        "y",
    ]
)
_URLISH: Final = re.compile(r"^(https?://|www\.)|^[\w-]+(\.[\w-]+)+(/\S*)?$", re.IGNORECASE)
_WORD: Final = re.compile(r"\w+", re.UNICODE)


def normalize(text: str) -> str:
    """Case-folded, accent-folded anchor with runs of spaces and punctuation collapsed."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in folded if not unicodedata.combining(c))
    return " ".join(_WORD.findall(plain.replace("_", " ")))


def words(text: str) -> list[str]:
    """The content words of a text: normalised, stop words dropped."""
    return [w for w in normalize(text).split() if w not in _STOP]


def is_commercial(anchor: str) -> bool:
    """Whether the anchor has a word of commercial intent (see :data:`COMMERCIAL`)."""
    return any(w in COMMERCIAL for w in normalize(anchor).split())


@dataclass(frozen=True, slots=True)
class Brand:
    """How a target's brand is written: its domain label squashed (``velotrails``) and the
    words of its site names."""

    compact: frozenset[str]
    host: str

    @classmethod
    def of(cls, domain: str, names: Iterable[str] = ()) -> Brand:
        label = domain.split(".", maxsplit=1)[0] if "." in domain else domain
        forms = {normalize(label).replace(" ", "")}
        forms |= {normalize(n).replace(" ", "") for n in names if n and n.strip()}
        return cls(frozenset(f for f in forms if len(f) >= 3), domain.casefold())

    def named_in(self, anchor: str) -> bool:
        squashed = normalize(anchor).replace(" ", "")
        return bool(squashed) and any(f in squashed for f in self.compact)


def target_words(url: str, title: str | None = None) -> tuple[frozenset[str], frozenset[str]]:
    """Keyword words of a target page: from its URL path's last meaningful segment (the slug)
    and from its title. Either may be empty (a home page has no slug)."""
    path = url.split("://", 1)[-1].partition("/")[2].split("?")[0].split("#")[0]
    segments = [s for s in unquote(path).split("/") if s and not s.isdigit()]
    slug = re.sub(r"\.(html?|php|aspx?)$", "", segments[-1]) if segments else ""
    slug_words = frozenset(w for w in words(slug.replace("-", " ")) if not w.isdigit())
    return slug_words, frozenset(words(title or ""))


def anchor_class(
    anchor: str,
    *,
    is_image: bool,
    brand: Brand,
    slug_words: frozenset[str],
    title_words: frozenset[str],
) -> str:
    """The class of one anchor for one target page (see the module docstring)."""
    text = anchor.strip()
    if not text:
        return "image" if is_image else "other"
    norm = normalize(text)
    if _URLISH.match(text.strip("<>\"' ")) or (brand.host and brand.host in text.casefold()):
        return "url"
    if norm in GENERIC:
        return "generic"
    if brand.named_in(text):
        return "branded"
    content = frozenset(words(text))
    if not content:
        return "generic"
    if content == slug_words or (title_words and content == title_words):
        return "exact"
    if len(content) >= 2 and title_words and content <= title_words:
        return "exact"
    if content & (slug_words | title_words):
        return "partial"
    return "other"
