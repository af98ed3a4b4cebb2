"""Markdown written by staff (resource notes, forum posts): CommonMark, rendered once on save
and sanitised with an allow-list, so pages only ever show markup we chose to allow."""

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "b", "i", "code", "pre", "blockquote",
    "ul", "ol", "li", "h2", "h3", "h4", "h5", "h6", "a",
    "table", "thead", "tbody", "tr", "th", "td", "s",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}, "ol": {"start"}}
# Dropped along with everything inside them, not just unwrapped.
DROPPED_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "svg", "math", "template"}
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "noopener noreferrer nofollow"


# CommonMark as staff know it from other tools (a list straight after a line of text, nested
# lists, fenced code), plus tables and ~~strikethrough~~. Raw HTML and every link are passed
# on so that one place, the allow-list below, decides what survives; markdown-it's own link
# check would leave refused links on the page as literal text.
_COMMONMARK = MarkdownIt("commonmark").enable(["table", "strikethrough"])
_COMMONMARK.validateLink = lambda url: True


def markdown_html(text: str) -> str:
    """The Markdown as HTML, unsanitised: for reading (mentions, links), never for showing."""
    return _COMMONMARK.render(text or "")


def sanitise_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags=DROPPED_WITH_CONTENT,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        url_relative="deny",
        link_rel=LINK_REL,
        strip_comments=True,
    )


def render_notes(notes: str) -> str:
    """The notes' Markdown as safe HTML. A top-level heading would clash with the page's own,
    so headings start at level 2."""
    if not (notes or "").strip():
        return ""
    html = markdown_html(notes).replace("<h1", "<h2").replace("</h1>", "</h2>")
    return sanitise_html(html).strip()
