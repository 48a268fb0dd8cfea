"""Plant the spam of the synthetic web, so that spam detectors meet known ground truth.

Four kinds (:data:`~backlinks.demo.model.SPAM_KINDS`), none labelled in the HTML; only the
links give them away:

* ``farm``: the farm sites link each other sitewide and the money site with exact-match
  anchors on every page, credit the featured site in their footer, and the money site says
  "As featured on" it.
* ``pbn``: a private blog network (:data:`~backlinks.demo.catalogue.PBN_SITES`): ordinary
  blogs that never link each other, share one theme (the same footer credit and the same
  sidebar links to the web's authority sites, so their outlinks are near-identical) and
  each put one or two followed exact-match anchors to the money site in article text.
  The legitimate web does not link to them.
* ``paid``: one or two legitimate blogs publish a post that says it is sponsored, with
  followed (no ``rel``) exact-match anchors to the money site.
* ``comment``: a spammer's comments with commercial anchors: ``ugc``/``nofollow`` on blogs
  of the shop's trade, followed on one blog whose comment links are never nofollowed.

Which links are spam is recorded in the plan (the site's role, ``PlannedLink.spam``,
``Comment.spam``) and read back by :meth:`~backlinks.demo.model.SynthWeb.planted_spam`.
:meth:`SpamPlanter.spam_burst` gives a later snapshot new farm and PBN pages, so the money
site's backlinks spike between snapshots.
"""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Final

from backlinks.demo.catalogue import PBN_LEADS, PBN_SITES, PBN_THEME, SPAM_WORDS, SPONSOR_LINES
from backlinks.demo.model import Comment, PagePlan, PlannedLink, SitePlan
from backlinks.demo.plan import LEADS, SitePlanner, vocab_of
from backlinks.urls import host_of

__all__ = [
    "PBN_AUTHORITIES",
    "SHOP_TOPIC",
    "SPAMMER",
    "SpamPlanter",
    "carries_spam",
    "shop_pages",
]

#: The money site's trade: its comment spam and paid posts go to blogs on this topic first.
SHOP_TOPIC: Final = "cycling"
#: Name the comment spammer signs with.
SPAMMER: Final = "BikeDealz"
#: Sidebar links every PBN blog shares (the featured site, the hub, the strongest blog).
PBN_AUTHORITIES: Final = 3


def shop_pages(money: SitePlan) -> list[PagePlan]:
    """The money site's pages that spam links point at (all but its about page)."""
    return [p for p in money.pages if p.kind != "about"]


def carries_spam(page: PagePlan) -> bool:
    """Whether a legitimate page holds planted paid or comment spam."""
    return any(k.spam for k in page.links) or any(c.spam for c in page.comments)


class SpamPlanter(SitePlanner):
    """Plants the farm, the PBN, paid posts and comment spam (:meth:`plant_spam` after the
    editorial links), and the later burst of spam links (:meth:`spam_burst`)."""

    def money_link(
        self,
        money: SitePlan,
        lead: str,
        para: int,
        rel: str = "",
        spam: str = "",
        target: PagePlan | None = None,
    ) -> PlannedLink:
        """An exact-match commercial anchor to ``target`` or some shop page of the money site."""
        rng = self.rng
        target = target or rng.choice(shop_pages(money))
        text = rng.choice(vocab_of(money.spec).keywords)
        return PlannedLink(
            money.origin + target.path, text, rel, money.info.host, para=para, lead=lead, spam=spam
        )

    def spam_comment(self, money: SitePlan, rel: str) -> Comment:
        """The spammer's comment: name linked to the shop, a commercial anchor in the text."""
        link = self.money_link(money, "", 0, rel, "comment")
        body = self.rng.choice(SPAM_WORDS)
        return Comment(SPAMMER, body, money.origin + "/", rel, link, spam=True)

    # ---- link farm -------------------------------------------------------------------------

    def farm_page_links(self, money: SitePlan, page: PagePlan) -> None:
        """Two to four exact-match links to the money site in a farm page's text."""
        for i in range(self.rng.randint(2, 4)):
            page.links.append(self.money_link(money, "Get", i % max(1, len(page.paragraphs))))

    def farm_links(self, featured: SitePlan) -> None:
        """The link farm: farms link to each other and to the money site with exact-match
        anchors, sitewide and in content; all of it looks legit enough to link the featured
        site too."""
        rng, money = self.rng, self.role("money")[0]
        spam = vocab_of(money.spec).keywords
        farms = self.role("farm")
        for farm in farms:
            for other in [*farms, money]:
                if other is not farm:
                    farm.blogroll.append(
                        PlannedLink(other.origin + "/", rng.choice(spam), dst_host=other.info.host)
                    )
            farm.credits.append(
                PlannedLink(featured.origin + "/", featured.spec.name, dst_host=featured.info.host)
            )
            for page in farm.pages:
                self.farm_page_links(money, page)
        about = next(p for p in money.pages if p.kind == "about")
        about.links.append(
            PlannedLink(
                featured.origin + "/",
                f"As featured on {featured.spec.name}",
                dst_host=featured.info.host,
            )
        )

    # ---- private blog network, paid posts, followed comments -------------------------------

    def pbn_post(self, blog: SitePlan, money: SitePlan, page: PagePlan) -> None:
        """Make ``page`` an ordinary-looking PBN post: internal links and one money link."""
        self.internal_links(blog, page)
        para = self.rng.randrange(len(page.paragraphs))
        page.links.append(self.money_link(money, self.rng.choice(PBN_LEADS), para))

    def pbn_network(self, featured: SitePlan, money: SitePlan) -> None:
        """Add the PBN blogs: one shared theme and sidebar, one or two money posts each."""
        rng = self.rng
        strongest = sorted(self.role("normal"), key=lambda p: -p.weight)
        authorities = [featured, *self.role("hub"), *strongest][:PBN_AUTHORITIES]
        sidebar = [
            PlannedLink(a.origin + "/", a.spec.name, dst_host=a.info.host) for a in authorities
        ]
        credit, theme = PBN_THEME
        start = len(self.plans)
        for i, spec in enumerate(PBN_SITES):
            blog = self.site(spec, start + i)
            self.plans.append(blog)
            blog.blogroll = [copy.copy(k) for k in sidebar]
            blog.credits.append(PlannedLink(theme, credit, dst_host=host_of(theme)))
            posts = rng.sample(blog.articles(), rng.randint(1, 2))
            for page in blog.articles():
                if any(page is post for post in posts):
                    self.pbn_post(blog, money, page)
                else:
                    self.internal_links(blog, page)

    def paid_post(self, blog: SitePlan, money: SitePlan) -> None:
        """A new sponsored post on ``blog``: says so, and links two shop pages without
        ``rel``."""
        rng = self.rng
        kw = rng.choice(vocab_of(blog.spec).keywords)
        day = self.when.date() - timedelta(days=rng.randint(5, 60))
        post = self.article(blog, kw, len(blog.pages) + 30, day)
        post.paragraphs.insert(0, rng.choice(SPONSOR_LINES).format(brand=money.spec.name))
        blog.pages.append(post)
        self.internal_links(blog, post)
        paras = rng.sample(range(1, len(post.paragraphs)), 2)
        for para, target in zip(paras, rng.sample(shop_pages(money), 2), strict=True):
            post.links.append(self.money_link(money, rng.choice(LEADS), para, "", "paid", target))

    def followed_comments(self, blog: SitePlan, money: SitePlan) -> None:
        """Turn ``blog``'s comment links followed and let the spammer comment on it."""
        rng = self.rng
        blog.follow_comments = True
        for page in blog.pages:
            for c in page.comments:
                c.rel = ""
                if c.link:
                    c.link.rel = ""
        arts = blog.articles()
        for page in rng.sample(arts, min(2, len(arts))):
            page.comments.append(self.spam_comment(money, ""))

    def plant_spam(self, featured: SitePlan) -> None:
        """After the editorial links: the PBN, one or two paid posts on English blogs (the
        shop's trade first), and followed comment spam on another of them."""
        money = self.role("money")
        if not money:
            return
        rng, shop = self.rng, money[0]
        self.pbn_network(featured, shop)
        blogs = [p for p in self.role("normal") if p.spec.lang.startswith("en")]
        rng.shuffle(blogs)
        blogs.sort(key=lambda p: p.info.topic != SHOP_TOPIC)
        paid = min(rng.randint(1, 2), len(blogs) - 1)
        for blog in blogs[:paid]:
            self.paid_post(blog, shop)
        if blogs[paid:]:
            self.followed_comments(rng.choice(blogs[paid:]), shop)

    def spam_burst(self) -> None:
        """A later snapshot's spam campaign: two or three new pages on each farm, a new
        post on each PBN blog, every one linking the money site."""
        money = self.role("money")
        if not money:
            return
        rng, shop, day = self.rng, money[0], self.when.date()
        for site in [*self.role("farm"), *self.role("pbn")]:
            farm = site.info.role == "farm"
            for _ in range(rng.randint(2, 3) if farm else 1):
                kw = rng.choice(vocab_of(site.spec).keywords)
                published = day - timedelta(days=rng.randint(1, 20))
                page = self.article(site, kw, len(site.pages) + 60, published)
                site.pages.append(page)
                if farm:
                    self.farm_page_links(shop, page)
                else:
                    self.pbn_post(site, shop, page)
