"""Plan the links of the synthetic web, and how they change between snapshots.

Editorial links pick their target site by popularity weight (same topic favoured), their
anchor kind and rel flag from weighted tables, and are sometimes decorated with tracking
parameters, a fragment or a protocol-relative form. Sitewide links (blogroll, theme credits,
sponsored partners) multiply page-level links as on the real web. The link farm and spam
comments make the spammy part; :meth:`LinkPlanner.evolve` makes a later snapshot.
"""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Final

from backlinks.demo.catalogue import COMMENTERS, GENERIC_ANCHORS, SPAM_WORDS, TOPICS
from backlinks.demo.model import Comment, PagePlan, PlannedLink, SitePlan
from backlinks.demo.plan import SitePlanner, vocab_of
from backlinks.demo.render import internal_href

__all__ = ["ANCHOR_WEIGHTS", "REL_WEIGHTS", "LinkPlanner", "links_of"]

#: rel values of editorial cross-site links, with weights.
REL_WEIGHTS: Final = (
    ("", 58),
    ("nofollow", 12),
    ("noopener noreferrer", 10),
    ("sponsored", 6),
    ("noopener NoFollow", 5),
    ("sponsored nofollow", 5),
    ("ugc", 4),
)
#: Anchor kinds of cross-site links, with weights.
ANCHOR_WEIGHTS: Final = (
    ("exact", 32),
    ("brand", 22),
    ("generic", 14),
    ("partial", 12),
    ("naked", 10),
    ("image", 10),
)
#: Probabilities of link decorations and of evolve's changes.
P_TRACKING: Final = 0.10
P_FRAGMENT: Final = 0.04
P_PROTOCOL_RELATIVE: Final = 0.03
P_SPAM_COMMENT: Final = 0.2
P_LOSE: Final = 0.12
P_NOFOLLOW_LATER: Final = 0.05
LEADS: Final = ("See", "We liked", "More in", "As explained in", "Worth reading:", "Compare")


def links_of(site: SitePlan) -> list[PlannedLink]:
    """Every planned link of a site: in content, in comments, in sidebar and footer."""
    found = [*site.blogroll, *site.credits]
    for page in site.pages:
        found += page.links
        found += [c.link for c in page.comments if c.link]
    return found


class LinkPlanner(SitePlanner):
    """Adds links to planned sites (:meth:`plan_links`) or changes them (:meth:`evolve`)."""

    # ---- links -----------------------------------------------------------------------------

    def link_to(self, src: SitePlan, dst: SitePlan, para: int, anchor: str = "") -> PlannedLink:
        """An editorial link from ``src`` to some page of ``dst``, decorated at random."""
        rng = self.rng
        arts, r = dst.articles(), rng.random()
        kw = dst.pages[0].keyword
        if r < 0.3 or not arts:
            href = dst.origin + "/"
        elif r < 0.93:
            target = rng.choice(arts)
            href, kw = dst.origin + target.path, target.keyword
        elif r < 0.97 or not dst.redirects:
            href = dst.origin + dst.missing[0]
        else:
            href = rng.choice(dst.redirects)[0]
        kind = anchor or rng.choices(*zip(*ANCHOR_WEIGHTS, strict=True))[0]
        naked = href
        if rng.random() < P_PROTOCOL_RELATIVE:
            href = href[href.index("//") :]
        if rng.random() < P_TRACKING:
            sep = "&" if "?" in href else "?"
            href += f"{sep}utm_source={src.info.host}&utm_medium=referral&utm_campaign=blog"
        if rng.random() < P_FRAGMENT:
            href += "#section-2"
        text, alt = {
            "exact": (kw, None),
            "brand": (dst.spec.name, None),
            "generic": (rng.choice(GENERIC_ANCHORS), None),
            "partial": (
                rng.choice(("this guide to {}", "{} tips", "a great post on {}")).format(kw),
                None,
            ),
            "naked": (rng.choice((naked, dst.spec.host.removeprefix("www."))), None),
            "image": ("", rng.choice((dst.spec.name, f"{dst.spec.name} logo", ""))),
        }[kind]
        rel = rng.choices(*zip(*REL_WEIGHTS, strict=True))[0]
        lead = rng.choice(LEADS)
        return PlannedLink(href, text, rel, dst.info.host, alt, para, lead)

    def cross_link(self, src: SitePlan, para: int) -> PlannedLink:
        """A link to another legitimate site, chosen by popularity, same topic favoured."""
        others = [p for p in self.normal() if p is not src]
        weights = [p.weight * (3 if p.info.topic == src.info.topic else 1) for p in others]
        return self.link_to(src, self.rng.choices(others, weights)[0], para)

    def comments(self, site: SitePlan, page: PagePlan) -> list[Comment]:
        rng, vocab = self.rng, vocab_of(site.spec)
        out = []
        for _ in range(rng.choices((0, 1, 2, 3, 4), (4, 3, 2, 1, 1))[0]):
            author, href = rng.choice(COMMENTERS)
            rel = rng.choice(("ugc nofollow", "ugc nofollow", "nofollow", "ugc"))
            out.append(Comment(author, self.para(vocab, page.keyword, 1), href, rel))
        money = self.role("money")
        if money and site.info.topic == "cycling" and rng.random() < P_SPAM_COMMENT:
            shop = money[0]
            target = rng.choice([p for p in shop.pages if p.kind != "about"])
            kw = rng.choice(vocab_of(shop.spec).keywords)
            link = PlannedLink(shop.origin + target.path, kw, "ugc nofollow", shop.info.host)
            out.append(Comment("BikeDealz", rng.choice(SPAM_WORDS), shop.origin + "/", link=link))
        return out

    def fill_article(self, site: SitePlan, page: PagePlan) -> None:
        rng = self.rng
        others = [a for a in site.articles() if a is not page]
        for target in rng.sample(others, min(len(others), rng.randint(1, 3))):
            href = internal_href(site, page.path, target.path)
            para = rng.randrange(len(page.paragraphs))
            page.links.append(PlannedLink(href, target.keyword, para=para, lead=rng.choice(LEADS)))
        for _ in range(rng.choices((0, 1, 2, 3), (3, 4, 3, 1))[0]):
            page.links.append(self.cross_link(site, rng.randrange(len(page.paragraphs))))
        page.comments = self.comments(site, page)

    def sitewide(self, site: SitePlan) -> None:
        rng = self.rng
        friends = [p for p in self.normal() if p is not site]
        friends.sort(key=lambda p: (p.info.topic != site.info.topic, rng.random()))
        for friend in friends[: rng.randint(0, 3)]:
            rel = rng.choice(("", "", "", "nofollow"))
            site.blogroll.append(
                PlannedLink(friend.origin + "/", friend.spec.name, rel, friend.info.host)
            )
        hub = self.role("hub")
        if hub and hub[0] is not site and rng.random() < 0.45:
            text = f"Theme by {hub[0].spec.name}"
            site.credits.append(PlannedLink(hub[0].origin + "/", text, dst_host=hub[0].info.host))
        if rng.random() < 0.2:
            partner = rng.choice(friends)
            site.credits.append(
                PlannedLink(partner.origin + "/", "Our partner", "sponsored", partner.info.host)
            )

    def plan_links(self) -> None:
        rng = self.rng
        featured = self.role("featured")[0]
        for site in self.normal():
            self.sitewide(site)
            for page in site.pages:
                if page.kind == "article":
                    self.fill_article(site, page)
                elif page.kind == "home" and rng.random() < 0.5:
                    page.links.append(self.cross_link(site, 0))
        for site in self.normal():  # every site links to the featured one
            if site is not featured and all(
                k.dst_host != featured.info.host for k in links_of(site)
            ):
                page = rng.choice(site.articles())
                page.links.append(self.link_to(site, featured, len(page.paragraphs) - 1, "exact"))
        linkers = rng.sample([p for p in self.normal() if p is not featured], 3)
        broken = PlannedLink(
            featured.origin + featured.missing[0],
            "our 2019 route guide",
            dst_host=featured.info.host,
        )
        bare = PlannedLink(
            featured.redirects[0][0],
            featured.spec.host.removeprefix("www."),
            dst_host=featured.info.host,
        )
        for site, link in zip(linkers, (broken, copy.copy(broken), bare), strict=True):
            rng.choice(site.articles()).links.append(link)
        self.farm_links(featured)

    def farm_links(self, featured: SitePlan) -> None:
        """The link farm: farms link to each other and to the money site with exact-match
        anchors, sitewide and in content; all of it looks legit enough to link the featured
        site too."""
        rng, money = self.rng, self.role("money")[0]
        spam = TOPICS[("spam", "en")].keywords
        farms = self.role("farm")
        shop = [p for p in money.pages if p.kind != "about"]
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
                for i in range(rng.randint(2, 4)):
                    target = rng.choice(shop)
                    link = PlannedLink(
                        money.origin + target.path, rng.choice(spam), dst_host=money.info.host
                    )
                    link.para, link.lead = i % max(1, len(page.paragraphs)), "Get"
                    page.links.append(link)
        about = next(p for p in money.pages if p.kind == "about")
        about.links.append(
            PlannedLink(
                featured.origin + "/",
                f"As featured on {featured.spec.name}",
                dst_host=featured.info.host,
            )
        )

    # ---- change over time ------------------------------------------------------------------

    def evolve(self) -> None:
        """Lose some links, turn some nofollow, add articles with new links, and take one
        page down and redirect another."""
        rng = self.rng
        featured = self.role("featured")[0]
        normal = [p for p in self.normal() if p is not featured]
        for site in self.normal():
            for page in site.articles():
                kept = []
                for link in page.links:
                    if link.dst_host and rng.random() < P_LOSE:
                        continue
                    if link.dst_host and not link.rel and rng.random() < P_NOFOLLOW_LATER:
                        link.rel = "nofollow"
                    kept.append(link)
                page.links = kept
        for site in normal:  # one more lost link to the featured site, surely
            for page in site.articles():
                hits = [k for k in page.links if k.dst_host == featured.info.host]
                if hits:
                    page.links.remove(hits[0])
                    break
            else:
                continue
            break
        day = self.when.date()
        for n, site in enumerate(self.normal()):
            if n and rng.random() < 0.5:
                continue
            kw = rng.choice(vocab_of(site.spec).keywords)
            page = self.article(
                site, kw, len(site.pages) + 50, day - timedelta(days=rng.randint(1, 20))
            )
            site.pages.append(page)
            self.fill_article(site, page)
            if site is not featured:
                page.links.append(self.link_to(site, featured, 0, "brand"))
        gone_site, moved_site = rng.sample(normal, 2)
        gone = rng.choice(
            [a for a in gone_site.articles() if any(k.dst_host for k in a.links)]
            or gone_site.articles()
        )
        gone.kind, gone.status = "gone", 404
        moved = rng.choice(moved_site.articles())
        moved.status, moved.location = 301, moved_site.url("/")
