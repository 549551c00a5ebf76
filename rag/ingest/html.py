"""HTML: a saved or fetched page (trafilatura finds the main text and metadata), and HTML
fragments such as a feed entry's content (:func:`html_to_text`)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

from rag.fetch import Fetched, is_http_url
from rag.ingest.core import ParseError, document_id, host_of, http_date, make_article, parse_date, url_id
from rag.types import Article


@dataclass(frozen=True)
class Page:
    """What trafilatura found in an HTML page."""

    text: str
    title: str
    published_at: str
    byline: str
    source: str
    url: str


def extract_html(content: str | bytes, url: str | None = None) -> Page:
    """Main text and metadata via trafilatura; scripts, styles and navigation never reach the store."""
    import trafilatura

    try:
        doc = trafilatura.bare_extraction(
            content, url=url, with_metadata=True, include_comments=False, include_tables=False
        )
    except (ValueError, TypeError, RecursionError) as exc:
        raise ParseError(f"unreadable HTML ({type(exc).__name__})") from exc
    if doc is None or not (doc.text or "").strip():
        raise ParseError("no article text found in the HTML")
    return Page(
        text=doc.text,
        title=doc.title or "",
        published_at=parse_date(doc.date) if doc.date else "",
        byline=doc.author or "",
        source=doc.sitename or doc.hostname or "",
        url=doc.url or "",
    )


def parse_html(text: str, path: Path, file_time: str = "") -> Article:
    """A saved page, identified by its canonical URL when it names one (else by its path).
    Without a date in its metadata, the file's mtime (``date_from="file-time"``)."""
    page = extract_html(text)
    published, date_from = (page.published_at, "metadata") if page.published_at else (file_time, "file-time")
    url = page.url if is_http_url(page.url) else ""
    return make_article(
        id=document_id(url, path),
        title=page.title,
        source=page.source or "unknown",
        published_at=published,
        url=url,
        text=page.text,
        path=str(path),
        date_from=date_from,
        byline=page.byline,
        drop_headline=True,
    )


def page_article(fetched: Fetched, path: str = "") -> Article:
    """A fetched HTML page. Without a date in its metadata, Last-Modified (``date_from="http-time"``)."""
    page = extract_html(fetched.body, url=fetched.final_url)
    if page.published_at:
        published, date_from = page.published_at, "metadata"
    else:
        published, date_from = http_date(fetched.last_modified), "http-time"
    return make_article(
        id=url_id(fetched.url),
        title=page.title,
        source=page.source or host_of(fetched.final_url) or "unknown",
        published_at=published,
        url=fetched.final_url,
        text=page.text,
        path=path or fetched.url,
        date_from=date_from,
        byline=page.byline,
        drop_headline=True,
    )


# Elements whose content is never article text (and could be hostile).
_DROP_TAGS = {
    "script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "math", "head",
    "form", "button", "select", "textarea", "canvas", "video", "audio",
}  # fmt: skip
_PARAGRAPH_TAGS = {"p", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "table", "figure", "hr"}
_LINE_TAGS = {
    "br", "div", "li", "ul", "ol", "tr", "section", "article", "header", "footer", "aside", "nav",
    "dd", "dt", "dl", "figcaption", "main",
}  # fmt: skip
_HTML_SPACE = re.compile(r"[ \t\r\n\f]+")
_SCRIPT_BLOCK = re.compile(r"<(script|style|noscript|template)\b.*?(</\1\s*>|$)", re.IGNORECASE | re.DOTALL)


def html_to_text(fragment: str) -> str:
    """An HTML fragment (a feed entry's content) → plain text with paragraph breaks.

    Scripts, styles and other non-text elements are dropped with their content: a feed is
    untrusted input and its markup must never end up quoted as article text.
    """
    if "<" not in fragment and "&" not in fragment:
        return fragment
    import lxml.html
    from lxml import etree

    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (etree.LxmlError, ValueError, TypeError):
        stripped = re.sub(r"<[^>]*>", " ", _SCRIPT_BLOCK.sub(" ", fragment))
        return html.unescape(stripped)
    for element in [e for e in root.iter() if e is not root]:
        tag = element.tag.lower() if isinstance(element.tag, str) else ""
        if not tag or tag in _DROP_TAGS:  # comments and processing instructions have no str tag
            element.drop_tree()
    for element in root.iter():
        # Source line breaks are spaces in HTML; only the block structure below makes new lines.
        element.text = _HTML_SPACE.sub(" ", element.text) if element.text else element.text
        element.tail = _HTML_SPACE.sub(" ", element.tail) if element.tail else element.tail
        tag = element.tag.lower() if isinstance(element.tag, str) else ""
        if tag in _PARAGRAPH_TAGS or tag in _LINE_TAGS:
            gap = "\n\n" if tag in _PARAGRAPH_TAGS else "\n"
            element.text = gap + (element.text or "")
            element.tail = gap + (element.tail or "")
    text = root.text_content()
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.split("\n")]
    return "\n".join(lines)
