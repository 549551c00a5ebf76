"""Markdown, with optional ``key: value`` front matter (id, title, source, date, url)."""

from __future__ import annotations

import re
from pathlib import Path

from rag.ingest.core import document_id, make_article, normalise_text, parse_date
from rag.types import Article

_FRONT_MATTER = re.compile(r"^---\n(.*?)\n---\n", re.DOTALL)


def parse_markdown(text: str, path: Path) -> Article:
    """The id is the front matter's own ``id`` when it has one, else its URL's, else the path's."""
    text = normalise_text(text)
    meta: dict[str, str] = {}
    match = _FRONT_MATTER.match(text + "\n")
    if match:
        for line in match.group(1).split("\n"):
            key, _, value = line.partition(":")
            meta[key.strip().lower()] = value.strip().strip("\"'")
        text = text[match.end() :]
    title = meta.get("title", "")
    heading = re.search(r"^#\s+(.+)$", text, re.MULTILINE)
    if heading:
        title = title or heading.group(1).strip()
        text = text[: heading.start()] + text[heading.end() :]
    text = re.sub(r"^#{1,6}\s+", "", text, flags=re.MULTILINE)
    date_text = meta.get("date") or meta.get("published_at") or ""
    url = meta.get("url", "")
    return make_article(
        id=meta.get("id") or document_id(url, path),
        title=title,
        source=meta.get("source", "unknown"),
        published_at=parse_date(date_text) if date_text else "",
        url=url,
        text=text,
        path=str(path),
        date_from="metadata",
    )
