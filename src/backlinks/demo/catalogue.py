"""Fixed data behind the synthetic web: the site catalogue and the words each topic speaks.

Kept apart from :mod:`backlinks.demo.synthweb` so the generator reads as logic, and so a test
or a demo can see at a glance which hosts exist and why (each one exercises something: a
multi-part public suffix, a subdomain, an IDN host, a legacy 8-bit charset, a ``<base>``
element, query-string URLs, a link farm). :data:`PBN_SITES` are the blogs of a private blog
network, added to every web that has the link farm's money site (see :mod:`.spam`).
"""

from __future__ import annotations

from typing import Final, NamedTuple

__all__ = [
    "COMMENTERS",
    "GENERIC_ANCHORS",
    "PBN_LEADS",
    "PBN_SITES",
    "PBN_THEME",
    "SITES",
    "SOCIAL",
    "SPAM_WORDS",
    "SPONSOR_LINES",
    "TOPICS",
    "SiteSpec",
    "Vocab",
]


class SiteSpec(NamedTuple):
    """One catalogue entry. ``host`` is written as a person would (an IDN host in Unicode);
    ``href_style`` is how the site writes its internal links: ``root`` (``/a/b/``),
    ``absolute`` (``https://host/a/b/``), ``relative`` (``../b/``) or ``base`` (``a/b/`` under a
    ``<base href>``); ``url_style`` is its URL layout: ``category``, ``dated``, ``flat`` or
    ``query``."""

    host: str
    name: str
    topic: str
    lang: str
    encoding: str
    role: str  # featured | hub | normal | farm | money | pbn
    scheme: str
    href_style: str
    url_style: str
    pages: tuple[int, int]


#: In priority order: ``generate_web(sites=n)`` takes the first ``n``.
SITES: Final[tuple[SiteSpec, ...]] = (
    SiteSpec("www.velo-trails.com", "Velo Trails", "cycling", "en", "utf-8", "featured",
             "https", "root", "category", (40, 40)),
    SiteSpec("www.devpocket.io", "DevPocket", "tech", "en", "utf-8", "hub",
             "https", "absolute", "dated", (24, 34)),
    SiteSpec("best-bike-deals-2024.xyz", "Best Bike Deals 2024", "spam", "en", "utf-8", "farm",
             "https", "root", "flat", (5, 7)),
    SiteSpec("cheap-bike-reviews.top", "Cheap Bike Reviews", "spam", "en", "utf-8", "farm",
             "https", "root", "flat", (5, 7)),
    SiteSpec("top-cycling-offers.biz", "Top Cycling Offers", "spam", "en", "utf-8", "farm",
             "http", "absolute", "flat", (5, 7)),
    SiteSpec("www.bikeshop-discounts.shop", "BikeShop Discounts", "spam", "en", "utf-8",
             "money", "https", "root", "category", (6, 9)),
    SiteSpec("www.greenthumb-weekly.co.uk", "Greenthumb Weekly", "gardening", "en-GB", "utf-8",
             "normal", "https", "relative", "category", (15, 30)),
    SiteSpec("blog.saucepan-diaries.com", "Saucepan Diaries", "cooking", "en", "utf-8",
             "normal", "https", "root", "dated", (12, 28)),
    SiteSpec("www.petit-voyage.fr", "Petit Voyage", "travel", "fr", "windows-1252", "normal",
             "https", "root", "flat", (10, 20)),
    SiteSpec("www.brotzeit-kueche.de", "Brotzeit Küche", "cooking", "de", "iso-8859-1",
             "normal", "http", "absolute", "query", (8, 16)),
    SiteSpec("spokeandchain.co.uk", "Spoke & Chain", "cycling", "en-GB", "utf-8", "normal",
             "https", "base", "category", (10, 24)),
    SiteSpec("www.wanderfolio.com", "Wanderfolio", "travel", "en", "utf-8", "normal",
             "https", "relative", "dated", (10, 30)),
    SiteSpec("bytesized.dev", "Bytesized", "tech", "en", "utf-8", "normal",
             "https", "root", "flat", (8, 20)),
    SiteSpec("rootsandshoots.ca", "Roots & Shoots", "gardening", "en-CA", "utf-8", "normal",
             "https", "root", "category", (6, 16)),
    SiteSpec("www.gärtnerei-sonnenschein.de", "Gärtnerei Sonnenschein", "gardening", "de",
             "utf-8", "normal", "https", "root", "flat", (5, 12)),
    SiteSpec("gravel-grinders.net", "Gravel Grinders", "cycling", "en", "utf-8", "normal",
             "https", "relative", "category", (8, 22)),
    SiteSpec("www.kitchen-table.org", "The Kitchen Table", "cooking", "en", "utf-8", "normal",
             "https", "root", "category", (8, 20)),
    SiteSpec("shutterstop.com.au", "Shutterstop", "travel", "en-AU", "utf-8", "normal",
             "https", "root", "dated", (6, 18)),
    SiteSpec("cloudnotes.tech", "Cloudnotes", "tech", "en", "utf-8", "normal",
             "https", "absolute", "flat", (6, 14)),
    SiteSpec("pedalpower.co.nz", "Pedal Power", "cycling", "en-NZ", "utf-8", "normal",
             "https", "root", "category", (5, 14)),
)  # fmt: skip

#: A private blog network: ordinary-looking blogs on cheap TLDs or expired domains (an old
#: garden club's), each on its own topic, that ``generate_web`` adds after the catalogue
#: sites it takes. Nothing in their HTML says "spam"; only their links give them away.
PBN_SITES: Final[tuple[SiteSpec, ...]] = (
    SiteSpec("oakridge-garden-club.info", "Oakridge Garden Club", "gardening", "en", "utf-8",
             "pbn", "https", "root", "dated", (6, 9)),
    SiteSpec("www.thewanderingnotebook.xyz", "The Wandering Notebook", "travel", "en",
             "utf-8", "pbn", "https", "root", "flat", (6, 9)),
    SiteSpec("codecraft-journal.online", "Codecraft Journal", "tech", "en", "utf-8", "pbn",
             "http", "root", "category", (5, 8)),
    SiteSpec("homekitchen-stories.site", "Home Kitchen Stories", "cooking", "en", "utf-8",
             "pbn", "https", "root", "flat", (5, 8)),
)  # fmt: skip
#: The theme every PBN blog shares: footer credit text and the theme vendor's page.
PBN_THEME: Final = ("Theme by Nuvola Press", "https://nuvolapress.net/themes/magazine-lite/")
#: Words leading into a PBN article's money link.
PBN_LEADS: Final = ("We picked ours up via", "Check out", "Worth a look:", "We recommend")
#: Disclosure lines of a paid (sponsored) post; ``{brand}`` is the sponsor's name.
SPONSOR_LINES: Final = (
    "Sponsored post. This post was written in partnership with {brand}.",
    "This is a sponsored post: it was written in partnership with {brand}.",
)


class Vocab(NamedTuple):
    """Words of one topic in one language: categories ``(slug, label)``, exact-match
    keywords (article subjects), nouns and adjectives for filler sentences, title patterns."""

    categories: tuple[tuple[str, str], ...]
    keywords: tuple[str, ...]
    nouns: tuple[str, ...]
    adjectives: tuple[str, ...]
    titles: tuple[str, ...]
    sentences: tuple[str, ...]


_EN_TITLES: Final = (
    "{Kw}: a {adj} guide",
    "{n} {adj} tips for {kw}",
    "Why {kw} matters more than you think",
    "The {adj} beginner’s guide to {kw}",
    "{Kw} — what we learned",
    "How to choose {kw}",
)
_EN_SENTENCES: Final = (
    "Most {noun}s are {adj}, but a {adj2} {noun2} changes everything.",
    "We tested the {noun} for three weeks and the {noun2} held up well.",
    "If you are new to {kw}, start with a {adj} {noun}.",
    "Nobody talks about the {noun2}, yet it is the {adj} part of {kw}.",
    "Our readers asked about the {noun} again, so here is the short answer.",
    "A {adj} {noun} costs less than you’d expect — and lasts longer.",
    "The {noun2} is {adj2}; the {noun} is not.",
)

TOPICS: Final[dict[tuple[str, str], Vocab]] = {
    ("cycling", "en"): Vocab(
        (("road", "Road"), ("gravel", "Gravel"), ("gear", "Gear"), ("routes", "Routes")),
        ("gravel bike tyres", "road bike saddle", "bike maintenance", "cycling routes",
         "carbon wheels", "bike fit", "winter cycling gloves", "tubeless setup",
         "cheap road bikes", "bikepacking bags"),
        ("wheel", "chain", "saddle", "climb", "descent", "tyre", "frame", "cassette", "route",
         "headwind"),
        ("light", "stiff", "fast", "comfortable", "muddy", "hilly", "reliable", "affordable"),
        _EN_TITLES,
        _EN_SENTENCES,
    ),
    ("cooking", "en"): Vocab(
        (("recipes", "Recipes"), ("baking", "Baking"), ("kitchen", "Kitchen")),
        ("sourdough starter", "cast iron skillet", "crème brûlée", "weeknight dinners",
         "knife sharpening", "fermented hot sauce", "pasta from scratch", "meal prep"),
        ("pan", "oven", "dough", "sauce", "knife", "spice", "broth", "crust", "whisk", "jar"),
        ("crispy", "silky", "smoky", "tangy", "rustic", "quick", "hearty", "fragrant"),
        _EN_TITLES,
        _EN_SENTENCES,
    ),
    ("cooking", "de"): Vocab(
        (("rezepte", "Rezepte"), ("backen", "Backen")),
        ("Brezen backen", "Weißwurst Frühstück", "Sauerteig ansetzen", "Obatzda Rezept",
         "Käsespätzle", "Apfelstrudel"),
        ("Teig", "Ofen", "Brezel", "Senf", "Kümmel", "Butter", "Schüssel", "Soße"),
        ("knusprig", "würzig", "süß", "frisch", "deftig", "große"),
        ("{Kw} – so gelingt es", "{Kw}: unser {adj} Rezept", "Alles über {kw}"),
        ("Der {noun} ist {adj}, und die {noun2} ist {adj2}.",
         "Für {kw} braucht man Geduld und einen {adj} {noun}.",
         "Oma schwört auf ihren {noun} – wir auch.",
         "Übrigens: ohne {noun2} schmeckt es nur halb so gut."),
    ),
    ("gardening", "en"): Vocab(
        (("vegetables", "Vegetables"), ("flowers", "Flowers"), ("soil", "Soil & Compost")),
        ("raised bed garden", "compost bin", "tomato blight", "companion planting",
         "organic fertiliser", "pruning roses", "seed starting", "rainwater harvesting"),
        ("bed", "seedling", "compost", "rose", "trowel", "hedge", "bulb", "greenhouse",
         "worm", "mulch"),
        ("leafy", "hardy", "sunny", "shady", "fertile", "frost-proof", "perennial", "lush"),
        _EN_TITLES,
        _EN_SENTENCES,
    ),
    ("gardening", "de"): Vocab(
        (("garten", "Garten"), ("pflanzen", "Pflanzen")),
        ("Hochbeet anlegen", "Tomaten düngen", "Rosen schneiden", "Kompost richtig nutzen",
         "Gemüsegarten planen"),
        ("Beet", "Rose", "Kompost", "Samen", "Gießkanne", "Hecke", "Knolle"),
        ("grüne", "winterharte", "sonnige", "üppige", "robuste"),
        ("{Kw} – Tipps vom Gärtner", "{Kw}: so geht’s", "Alles über {kw}"),
        ("Die {noun} mag es {adj}, der {noun2} eher {adj2}.",
         "Beim Thema {kw} fragen uns Kundinnen oft nach dem {noun}.",
         "Im Frühjahr ist der {noun2} besonders wichtig."),
    ),
    ("tech", "en"): Vocab(
        (("python", "Python"), ("devops", "DevOps"), ("web", "Web")),
        ("python type hints", "docker compose", "rust ownership", "css grid layout",
         "git rebase", "postgres indexing", "static site generator", "unit testing"),
        ("function", "container", "index", "commit", "branch", "query", "compiler", "cache",
         "endpoint", "benchmark"),
        ("fast", "typed", "lazy", "immutable", "concurrent", "minimal", "robust", "verbose"),
        _EN_TITLES,
        _EN_SENTENCES,
    ),
    ("travel", "en"): Vocab(
        (("europe", "Europe"), ("asia", "Asia"), ("tips", "Travel Tips")),
        ("lisbon itinerary", "kyoto temples", "budget travel", "night train europe",
         "packing list", "travel insurance", "hiking in patagonia", "street food hanoi"),
        ("train", "hostel", "market", "museum", "ferry", "backpack", "temple", "café",
         "harbour", "visa"),
        ("cheap", "scenic", "crowded", "hidden", "sunny", "quiet", "historic", "cosy"),
        _EN_TITLES,
        _EN_SENTENCES,
    ),
    ("travel", "fr"): Vocab(
        (("europe", "Europe"), ("france", "France")),
        ("week-end à Lyon", "randonnée en Provence", "voyage en train", "côte d’Azur",
         "marchés de Noël", "œnotourisme en Bourgogne"),
        ("gare", "plage", "marché", "musée", "château", "sentier", "été", "cœur"),
        ("ensoleillé", "animé", "discret", "célèbre", "pittoresque", "fraîche"),
        ("{Kw} : notre guide", "{Kw} — à ne pas manquer", "Tout savoir sur {kw}"),
        ("Le {noun} est {adj}, et la {noun2} reste {adj2}.",
         "Pour {kw}, il faut prévoir un budget d’environ 120 €.",
         "On a adoré le {noun} — une vraie œuvre d’art.",
         "En été, la {noun2} est bondée : partez tôt."),
    ),
    ("spam", "en"): Vocab(
        (("deals", "Deals"), ("reviews", "Reviews")),
        ("cheap road bikes", "buy bikes online", "best bike deals", "discount bikes"),
        ("deal", "offer", "discount", "bike", "price", "coupon"),
        ("cheap", "best", "top", "discount", "amazing"),
        ("{Kw} {n} — {adj} {kw} offers", "Best {kw} {n}", "{Kw} cheap {kw}"),
        ("Looking for {kw}? The {adj} {noun} is here.",
         "{Kw} {kw} {kw} at the {adj} {noun2} price.",
         "Buy now: {adj} {noun} and {adj2} {noun2}."),
    ),
}  # fmt: skip

#: Generic anchors ("click here") that carry no keyword.
GENERIC_ANCHORS: Final = ("click here", "read more", "this article", "here", "source", "link")
#: Spam comment phrases that carry exact-match anchors to the money site.
SPAM_WORDS: Final = ("Great post!", "Nice article, thanks.", "Very informative.", "Awesome!!")
#: Hosts outside the synthetic web that sites link to (profiles, personal blogs).
SOCIAL: Final = (
    "https://www.instagram.com/{slug}/",
    "https://github.com/{slug}",
    "https://www.youtube.com/@{slug}",
    "https://mastodon.social/@{slug}",
)
#: Commenters' own sites (a PSL private suffix among them: each blogspot host is a domain).
COMMENTERS: Final = (
    ("Jane Miller", "https://janemiller.blogspot.com/"),
    ("Tomás Ortega", "https://tomas-ortega.github.io/"),
    ("Priya", "https://www.priyacooks.net/"),
    ("Ole Hansen", "https://olehansen.wordpress.com/"),
    ("Mei", None),
    ("Chris B.", None),
    ("Zoë", "https://zoe-rides.blogspot.com/"),
)
