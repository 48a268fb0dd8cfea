"""Render a planned site as HTML5 bytes, in the site's own charset and link style.

Every page has the parts a link extractor must tell apart: ``<header>`` (logo image link),
``<nav>`` menu, ``<main>``/``<article>`` content with in-text links, ``<section
class="comments">``, ``<aside>`` sidebar and ``<footer>``; plus ``<link rel=canonical>``,
``<meta name=robots>`` where planned, ``<base href>`` on sites that use one, ``#fragment``
and ``mailto:`` links. Rendering is a pure function of the plan: same plan, same bytes.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from html import escape

from backlinks.demo.model import Comment, PagePlan, PlannedLink, SitePlan

__all__ = ["Response", "internal_href", "render_site"]

_HOME = {"fr": "Accueil", "de": "Startseite"}

#: (canonical url, status, body, content type, location) of one rendered response.
Response = tuple[str, int, bytes, str, str | None]


def internal_href(site: SitePlan, from_path: str, to_path: str) -> str:
    """How ``site`` writes a link from one of its pages to another (see ``href_style``)."""
    style = site.spec.href_style
    if style == "absolute":
        return site.origin + to_path
    if style == "base":
        return to_path[1:] or "./"
    if style == "relative" and "?" not in to_path + from_path:
        from_dir = from_path[: from_path.rfind("/") + 1]
        to_dir, leaf = to_path[: to_path.rfind("/") + 1], to_path[to_path.rfind("/") + 1 :]
        rel = posixpath.relpath(to_dir, from_dir)
        return (leaf or "./") if rel == "." else f"{rel}/{leaf}"
    return to_path


def _a(link: PlannedLink) -> str:
    rel = f' rel="{escape(link.rel)}"' if link.rel else ""
    blank = ' target="_blank"' if "noopener" in link.rel else ""
    if link.img_alt is not None:
        inner = f'<img src="/assets/badge.png" alt="{escape(link.img_alt)}" width="88" height="31">'
    else:
        inner = escape(link.text)
    return f'<a href="{escape(link.href)}"{rel}{blank}>{inner}</a>'


def _ul(items: list[str], cls: str = "") -> str:
    attr = f' class="{cls}"' if cls else ""
    return f"<ul{attr}>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>"


def _internal(site: SitePlan, page: PagePlan, target: PagePlan, text: str = "") -> str:
    href = internal_href(site, page.path, target.path)
    return f'<a href="{escape(href)}">{escape(text or target.title)}</a>'


def _head(site: SitePlan, page: PagePlan) -> str:
    spec = site.spec
    if spec.encoding == "iso-8859-1":
        charset = f'<meta http-equiv="Content-Type" content="text/html; charset={spec.encoding}">'
    else:
        charset = f'<meta charset="{spec.encoding}">'
    parts = [
        charset,
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(page.title)} – {escape(spec.name)}</title>",
        f'<meta name="description" content="{escape(page.title)}">',
        f'<link rel="canonical" href="{escape(page.canonical or site.url(page.path))}">',
        '<link rel="stylesheet" href="/assets/style.css">',
    ]
    if page.robots:
        parts.append(f'<meta name="robots" content="{page.robots}">')
    if spec.href_style == "base":
        parts.append(f'<base href="{escape(site.origin)}/">')
    return "<head>\n" + "\n".join(parts) + "\n</head>"


def _header_nav(site: SitePlan, page: PagePlan) -> str:
    home = site.pages[0]
    logo = internal_href(site, page.path, home.path)
    cats = [p for p in site.pages if p.kind == "category"]
    about = [p for p in site.pages if p.kind == "about"]
    label = _HOME.get(site.spec.lang.split("-")[0], "Home")
    menu = [_internal(site, page, home, label)]
    menu += [_internal(site, page, c) for c in cats]
    menu += [_internal(site, page, a, "About") for a in about]
    return (
        '<header class="site-header"><a class="skip" href="#main">Skip to content</a>'
        f'<a class="logo" href="{escape(logo)}"><img src="/assets/logo.png" '
        f'alt="{escape(site.spec.name)}"></a></header>\n'
        f'<nav class="menu">{_ul(menu)}</nav>'
    )


def _paragraphs(page: PagePlan) -> str:
    out = []
    for i, text in enumerate(page.paragraphs):
        extra = "".join(
            f" {escape(link.lead)} {_a(link)}." for link in page.links if link.para == i
        )
        out.append(f"<p>{escape(text)}{extra}</p>")
    stray = [link for link in page.links if link.para >= len(page.paragraphs)]
    if stray:
        out.append("<p>" + " ".join(f"{escape(k.lead)} {_a(k)}." for k in stray) + "</p>")
    return "\n".join(out)


def _listing(site: SitePlan, page: PagePlan) -> str:
    arts = site.articles()
    if page.kind == "home":
        chosen = sorted(arts, key=lambda a: a.published or a.path, reverse=True)[:8]
    elif page.kind == "category":
        chosen = [a for a in arts if a.category == page.category]
    elif page.kind in ("tag", "search"):
        chosen = [a for a in arts if a.keyword == page.keyword] or arts[:3]
    else:
        return ""
    return _ul([_internal(site, page, a) for a in chosen], "listing")


def _comments(comments: list[Comment]) -> str:
    if not comments:
        return ""
    items = []
    for c in comments:
        rel = f' rel="{c.rel}"' if c.rel else ""
        who = (
            f'<a href="{escape(c.href)}"{rel}>{escape(c.author)}</a>'
            if c.href
            else escape(c.author)
        )
        body = escape(c.body) + (f" {_a(c.link)}" if c.link else "")
        items.append(f'<li class="comment"><p class="author">{who}</p><p>{body}</p></li>')
    return (
        f'<section class="comments" id="comments"><h2>{len(comments)} comments</h2>'
        f"<ol>{''.join(items)}</ol></section>"
    )


def _main(site: SitePlan, page: PagePlan) -> str:
    byline = ""
    if page.published:
        byline = (
            f'<p class="byline">By the {escape(site.spec.name)} team · '
            f'<time datetime="{page.published.isoformat()}">{page.published:%d %B %Y}</time>'
            f' · <a href="#comments">Comments</a></p>'
        )
    return (
        f'<main id="main"><article><h1>{escape(page.title)}</h1>{byline}\n'
        f"{_paragraphs(page)}\n{_listing(site, page)}</article>\n"
        f"{_comments(page.comments)}</main>"
    )


def _aside(site: SitePlan, page: PagePlan) -> str:
    popular = [_internal(site, page, a) for a in site.articles()[:4]]
    parts = ['<aside class="sidebar"><h2>Popular</h2>', _ul(popular)]
    if site.blogroll:
        parts += ["<h2>Friends</h2>", _ul([_a(k) for k in site.blogroll], "blogroll")]
    return "".join(parts) + "</aside>"


def _footer(site: SitePlan, page: PagePlan) -> str:
    social = [f'<a href="{href}" rel="me">{href.split("/")[2]}</a>' for href in site.social()]
    host = site.info.host.removeprefix("www.")
    items = [
        *[_internal(site, page, a, "About us") for a in site.pages if a.kind == "about"],
        f'<a href="mailto:hello@{host}">Contact</a>',
        *social,
        *[_a(k) for k in site.credits],
        '<a href="#top">Back to top ↑</a>',
    ]
    year = page.published.year if page.published else 2024
    return (
        f'<footer class="site-footer">{_ul(items)}<p>© {year} {escape(site.spec.name)}</p></footer>'
    )


def _document(site: SitePlan, page: PagePlan) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="{site.spec.lang}">\n{_head(site, page)}\n'
        f'<body id="top">\n{_header_nav(site, page)}\n{_main(site, page)}\n'
        f"{_aside(site, page)}\n{_footer(site, page)}\n</body>\n</html>\n"
    )


def _small(title: str, body: str) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8">'
        f"<title>{escape(title)}</title></head>\n<body><h1>{escape(title)}</h1>"
        f"<p>{body}</p></body>\n</html>\n"
    )


def _not_found(site: SitePlan) -> bytes:
    home = escape(site.origin + "/")
    return _small(
        "404 Not Found", f'Nothing here. Try the <a href="{home}">home page</a>.'
    ).encode()


def render_site(site: SitePlan) -> Iterator[Response]:
    """All responses of one site: its pages (a ``gone`` page as a 404), its redirects, then
    404s for the missing paths it serves."""
    spec = site.spec
    ctype = (
        "text/html" if spec.encoding == "windows-1252" else f"text/html; charset={spec.encoding}"
    )
    utf8 = "text/html; charset=utf-8"
    for page in site.pages:
        url = site.url(page.path)
        if page.status == 404:
            yield url, 404, _not_found(site), utf8, None
        elif page.location:
            body = _small(
                "301 Moved Permanently", f'Moved <a href="{escape(page.location)}">here</a>.'
            )
            yield url, 301, body.encode(), utf8, page.location
        else:
            html = _document(site, page).encode(spec.encoding, "xmlcharrefreplace")
            yield url, page.status, html, ctype, None
    for source, target in site.redirects:  # canonical URLs both
        body = _small("301 Moved Permanently", f'Moved <a href="{escape(target)}">here</a>.')
        yield source, 301, body.encode(), utf8, target
    if site.missing_served:
        for path in site.missing:
            yield site.url(path), 404, _not_found(site), utf8, None
