"""Rich text as Webflow's RichText field accepts it: HTML sanitized with nh3 to the elements Webflow keeps.

Webflow's rich-text element holds headings, paragraphs, quotes, lists, links, inline emphasis, code, line breaks
and figures with images; anything else (scripts, styles, event handlers, iframes, classes) is dropped here rather
than sent and silently stripped or refused by Webflow.
"""
import re

import nh3
from django.utils.html import strip_tags

RICH_TEXT_TAGS = frozenset({
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "ul", "ol", "li", "a", "strong", "em", "b", "i", "u",
    "s", "sup", "sub", "code", "pre", "br", "figure", "figcaption", "img",
})
RICH_TEXT_ATTRIBUTES = {"a": {"href", "title", "target"}, "img": {"src", "alt"}}
RICH_TEXT_URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
# Block boundaries become spaces in the text form, so "<p>a</p><p>b</p>" reads "a b", not "ab".
_BLOCK_EDGE_RE = re.compile(r"<(?:/(?:p|h[1-6]|li|blockquote|figcaption|pre)|br\s*/?)>", re.IGNORECASE)


def sanitize_rich_text(html: str) -> str:
    """Untrusted HTML -> the same content with only Webflow's rich-text elements and attributes; links get
    rel="noopener noreferrer". Empty paragraphs an editor leaves behind collapse to ""."""
    cleaned = nh3.clean(
        html or "", tags=set(RICH_TEXT_TAGS), attributes={k: set(v) for k, v in RICH_TEXT_ATTRIBUTES.items()},
        url_schemes=set(RICH_TEXT_URL_SCHEMES), link_rel="noopener noreferrer",
    ).strip()
    return cleaned if strip_tags(cleaned).strip() or "<img" in cleaned else ""


def rich_text_as_text(html: str) -> str:
    """The words of a rich-text value, for lists and short previews."""
    return " ".join(strip_tags(_BLOCK_EDGE_RE.sub(" ", sanitize_rich_text(html))).split())
