"""Files and URLs → Articles. Parsing only: pure functions over bytes and text, no store access.

One module per format — :mod:`~rag.ingest.text` (``.txt``: the Wikinews layout or a raw scraped
page), :mod:`~rag.ingest.markdown`, :mod:`~rag.ingest.html` (trafilatura),
:mod:`~rag.ingest.records` (``.json``/``.jsonl``), :mod:`~rag.ingest.feeds` (RSS/Atom,
feedparser), :mod:`~rag.ingest.pdf` (pypdf, text layer only) and :mod:`~rag.ingest.urls` (URL
lists and URLs given directly) — over a small shared :mod:`~rag.ingest.core` (errors, the
Article constructor, decoding, dates, ids). :func:`parse_file` reads a file and hands its bytes
to the right one.

The network is reached only through the ``fetcher`` callable passed in (by default
:func:`rag.fetch.fetch`), so everything here can be tested with a fake. Every problem becomes an
:class:`IngestError` naming the file (and line or feed entry) and why; ``warning=True`` ones
were still stored (a teaser kept, invalid UTF-8 replaced, a repeated record id).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path

from rag.fetch import FetchOptions, fetch
from rag.ingest.core import (
    FEED_SUFFIXES,
    SUPPORTED_SUFFIXES,
    Fetcher,
    IngestError,
    ParseError,
    content_hash,
    decode,
    decode_noted,
    document_id,
    first_words,
    http_date,
    make_article,
    normalise_text,
    parse_date,
    path_id,
    url_id,
    with_provenance,
    without_headline,
)
from rag.ingest.feeds import entry_fingerprint, is_teaser, parse_feed
from rag.ingest.html import html_to_text, page_article, parse_html
from rag.ingest.markdown import parse_markdown
from rag.ingest.pdf import parse_pdf
from rag.ingest.records import parse_json, parse_jsonl, record_to_article
from rag.ingest.text import parse_scraped_page, parse_txt
from rag.ingest.urls import looks_like_url_list, parse_url, parse_url_list
from rag.types import HEADLINE_ONLY, UPLOADED, Article

# Formats whose file holds exactly one article (their old ids were the bare file name).
SINGLE_ARTICLE_SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm", ".pdf"}

__all__ = [
    "FEED_SUFFIXES", "HEADLINE_ONLY", "SINGLE_ARTICLE_SUFFIXES", "SUPPORTED_SUFFIXES", "UPLOADED",
    "Fetcher", "IngestError", "ParseError", "content_hash", "decode", "decode_noted", "document_id",
    "entry_fingerprint", "first_words", "html_to_text", "http_date", "is_teaser", "iter_files",
    "looks_like_url_list", "make_article", "normalise_text", "page_article", "parse_bytes",
    "parse_date", "parse_feed", "parse_file", "parse_html", "parse_json", "parse_jsonl", "parse_markdown",
    "parse_pdf", "parse_scraped_page", "parse_txt", "parse_url", "parse_url_list", "path_id",
    "record_to_article", "url_id", "with_provenance", "without_headline",
]  # fmt: skip


def iter_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Supported files under the given files/folders, in a stable order (hidden files skipped)."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                rel = child.relative_to(path)
                hidden = any(p.startswith(".") for p in rel.parts)
                if child.is_file() and not hidden and child.suffix.lower() in SUPPORTED_SUFFIXES:
                    yield child
        else:
            yield path


def parse_file(
    path: Path,
    max_bytes: int = 20_000_000,
    fetch_options: FetchOptions | None = None,
    fetcher: Fetcher | None = None,
) -> tuple[list[Article], list[IngestError]]:
    """One file → its articles and the errors of the records that failed (JSON lines, feed entries, URLs).

    ``fetch_options``/``fetcher`` are used by feeds (teaser entries) and URL lists only; without
    them the defaults of :class:`FetchOptions` and :func:`rag.fetch.fetch` apply.
    """
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise ParseError(
            f"unsupported file type {suffix or '(none)'}; use one of {', '.join(sorted(SUPPORTED_SUFFIXES))}"
        )
    # A JSON-lines export holds many articles: there the size cap applies to each record instead.
    stat = path.stat()
    if suffix != ".jsonl" and stat.st_size > max_bytes:
        raise ParseError(f"file too large ({stat.st_size:,} bytes; limit {max_bytes:,})")
    file_time = datetime.fromtimestamp(stat.st_mtime).date().isoformat()
    return parse_bytes(path.read_bytes(), path, file_time, max_bytes, fetch_options, fetcher)


def parse_bytes(
    data: bytes,
    path: Path,
    file_time: str = "",
    max_bytes: int = 20_000_000,
    fetch_options: FetchOptions | None = None,
    fetcher: Fetcher | None = None,
) -> tuple[list[Article], list[IngestError]]:
    """A file's bytes → its articles, by the format its suffix names (``file_time``: the date
    to fall back on). Pure but for the ``fetcher`` that feeds and URL lists call."""
    suffix = path.suffix.lower()
    options = fetch_options or FetchOptions()
    fetcher = fetcher or fetch
    if suffix == ".pdf":
        return [parse_pdf(data, path, file_time)], []
    if suffix in FEED_SUFFIXES:
        return parse_feed(data, str(path), options, fetcher, file_time=file_time)
    text, note = decode_noted(data)
    articles, errors = _parse_text(text, path, suffix, file_time, max_bytes, options, fetcher)
    return articles, ([IngestError(str(path), note, warning=True)] if note else []) + errors


def _parse_text(
    text: str, path: Path, suffix: str, file_time: str, max_bytes: int, options: FetchOptions, fetcher: Fetcher
) -> tuple[list[Article], list[IngestError]]:
    if suffix == ".urls" or (suffix == ".txt" and looks_like_url_list(text)):
        return parse_url_list(text, str(path), options, fetcher)
    if suffix == ".jsonl":
        return parse_jsonl(text, str(path), max_bytes)
    if suffix == ".json":
        return parse_json(text, str(path))
    if suffix in {".html", ".htm"}:
        return [parse_html(text, path, file_time)], []
    if suffix in {".md", ".markdown"}:
        return [parse_markdown(text, path)], []
    return [parse_txt(text, path)], []
