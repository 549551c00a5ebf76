"""Plain text: the Wikinews layout, or a raw scraped news page.

Wikinews layout: title, source, ISO date, optionally the article's URL, a blank line, then the
body. A scraped page may start with its URL on a line of its own (the address it was saved from).
"""

from __future__ import annotations

import re
from pathlib import Path

from rag.fetch import is_http_url
from rag.ingest.core import ISO_DATE, document_id, make_article, normalise_text, parse_date
from rag.types import Article


def parse_txt(text: str, path: Path) -> Article:
    lines = normalise_text(text).split("\n")
    header = _wikinews_header(lines)
    if header is not None:
        url, body_start = header
        return make_article(
            id=document_id(url, path),
            title=lines[0],
            source=lines[1],
            published_at=parse_date(lines[2]),
            url=url,
            text="\n".join(lines[body_start:]),
            path=str(path),
        )
    return parse_scraped_page(text, path)


def _wikinews_header(lines: list[str]) -> tuple[str, int] | None:
    """(URL or "", first body line) when the lines follow the Wikinews layout, else None."""
    if len(lines) < 5 or not lines[0].strip() or not ISO_DATE.match(lines[2].strip()):
        return None
    if not lines[3].strip():
        return "", 4
    if is_http_url(lines[3]) and len(lines) >= 6 and not lines[4].strip():
        return lines[3].strip(), 5
    return None


# Lines a scraped news page carries that are not the article.
_BOILERPLATE_LINE = re.compile(
    r"^(ugc_banner|main img|advertisement|story highlights|share this article|read more|"
    r"(file )?photo:.*|photograph:.*|.*photograph:\(.*\)|image:.*|getty images|follow us on.*|"
    r"sign up (here )?for.*|click here.*|also read.*)$",
    re.IGNORECASE,
)
_UPDATED = re.compile(r"(?:Updated|Published|Posted|Last updated)\s*:?\s*(.+)$", re.IGNORECASE)
_BYLINE = re.compile(r"^(?:By\s+)?(.+?)\s+(?:Web Team|Web Desk|News Desk|Staff|Bureau)$", re.IGNORECASE)


def parse_scraped_page(text: str, path: Path) -> Article:
    """A raw page scrape: strip boilerplate lines, the dateline and byline, and the repeated highlight."""
    lines = normalise_text(text).split("\n")
    url = ""
    if lines and is_http_url(lines[0]):  # the address the page was saved from
        url, lines = lines[0].strip(), lines[1:]
    title, source, published, kept = "", "", "", []
    for line in lines:
        stripped = line.strip()
        if not stripped:
            kept.append("")
            continue
        if _BOILERPLATE_LINE.match(stripped):
            continue
        updated = _UPDATED.search(stripped)
        if updated and not published and len(stripped) < 120:
            published = parse_date(updated.group(1))
            continue
        byline = _BYLINE.match(stripped)
        if byline and not source:
            source = byline.group(1).strip()
            continue
        if not title and _looks_like_headline(stripped):
            title = stripped
            continue
        kept.append(stripped)
    body = _drop_repeated_paragraphs("\n".join(kept))
    return make_article(
        id=document_id(url, path),
        title=title,
        source=source or "unknown",
        published_at=published,
        url=url,
        text=body,
        path=str(path),
    )


def _looks_like_headline(line: str) -> bool:
    return len(line) <= 200 and not line.endswith((".", "!", "?", '"', "”"))


def _drop_repeated_paragraphs(text: str) -> str:
    """Keep the last copy of a paragraph that occurs twice (e.g. a "Story highlights" teaser)."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    keys = [re.sub(r"\W+", " ", p).strip().lower() for p in paragraphs]
    kept = [p for i, p in enumerate(paragraphs) if keys[i] not in keys[i + 1 :]]
    return "\n\n".join(kept)
