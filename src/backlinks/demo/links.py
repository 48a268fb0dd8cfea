"""Plan the links of the synthetic web, and how they change between snapshots.

Editorial links pick their target site by popularity weight (same topic favoured), their
anchor kind and rel flag from weighted tables, and are sometimes decorated with tracking
parameters, a fragment or a protocol-relative form. Sitewide links (blogroll, theme credits,
sponsored partners) multiply page-level links as on the real web. The spammy part (link
farm, private blog network, paid posts, comment spam) is planted by the
:class:`~backlinks.demo.spam.SpamPlanter` this planner extends; :meth:`LinkPlanner.evolve`
makes a later snapshot.
"""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Final

from backlinks.demo.catalogue import COMMENTERS, GENERIC_ANCHORS
from backlinks.demo.model import Comment, PagePlan, PlannedLink, SitePlan
from backlinks.demo.plan import LEADS, vocab_of
from backlinks.demo.spam import SHOP_TOPIC, SpamPlanter, carries_spam

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


def links_of(site: SitePlan) -> list[PlannedLink]:
    """Every planned link of a site: in content, in comments, in sidebar and footer."""
    found = [*site.blogroll, *site.credits]
    for page in site.pages:
        found += page.links
        found += [c.link for c in page.comments if c.link]
    return found


class LinkPlanner(SpamPlanter):
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
            rel = "" if site.follow_comments else rel
            out.append(Comment(author, self.para(vocab, page.keyword, 1), href, rel))
        money = self.role("money")
        if money and site.info.topic == SHOP_TOPIC and rng.random() < P_SPAM_COMMENT:
            out.append(self.spam_comment(money[0], "" if site.follow_comments else "ugc nofollow"))
        return out

    def fill_article(self, site: SitePlan, page: PagePlan) -> None:
        rng = self.rng
        self.internal_links(site, page)
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
        self.plant_spam(featured)

    # ---- change over time ------------------------------------------------------------------

    def evolve(self) -> None:
        """Lose some links, turn some nofollow, add articles with new links, take one page
        down and redirect another (planted spam stays), and burst new spam links."""
        rng = self.rng
        featured = self.role("featured")[0]
        normal = [p for p in self.normal() if p is not featured]
        for site in self.normal():
            for page in site.articles():
                kept = []
                for link in page.links:
                    if link.spam:
                        kept.append(link)
                        continue
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
        plain = [a for a in gone_site.articles() if not carries_spam(a)]
        gone = rng.choice([a for a in plain if any(k.dst_host for k in a.links)] or plain)
        gone.kind, gone.status = "gone", 404
        moved = rng.choice([a for a in moved_site.articles() if not carries_spam(a)])
        moved.status, moved.location = 301, moved_site.url("/")
        self.spam_burst()
