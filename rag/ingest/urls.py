"""URLs: one given directly (a page, a PDF, a feed) or a list of them (``.urls``, or a ``.txt``
of nothing but URLs). Each is fetched through the ``fetcher`` passed in; a failure is an error
naming the URL (and the list's line), never an exception."""

from __future__ import annotations

from rag.fetch import Fetched, FetchError, FetchOptions, fetch, fetch_many, is_http_url
from rag.ingest.core import (
    Fetcher,
    IngestError,
    ParseError,
    decode_noted,
    host_of,
    http_date,
    kind_of,
    make_article,
    url_id,
)
from rag.ingest.feeds import EntryNote, feed_articles
from rag.ingest.html import page_article
from rag.ingest.pdf import fetched_pdf
from rag.types import Article


def articles_from_fetched(
    fetched: Fetched, options: FetchOptions, fetcher: Fetcher, path: str
) -> tuple[list[Article], list[EntryNote]]:
    """A fetched resource → its articles and the problems of parts of it (feed entries)."""
    fallback = (http_date(fetched.last_modified), "http-time")
    kind = kind_of(fetched)
    if kind == "feed":
        return feed_articles(fetched.body, options, fetcher, path=path, fallback=fallback, base_url=fetched.final_url)
    if kind == "pdf":
        return [fetched_pdf(fetched, path)], []
    if kind == "text":
        published, date_from = fallback
        text, note = decode_noted(fetched.body)
        article = make_article(
            id=url_id(fetched.url),
            title="",
            source=host_of(fetched.final_url),
            published_at=published,
            url=fetched.final_url,
            text=text,
            path=path,
            date_from=date_from,
        )
        return [article], [EntryNote(note, "warning")] if note else []
    return [page_article(fetched, path)], []


def parse_url(
    url: str, options: FetchOptions | None = None, fetcher: Fetcher | None = None
) -> tuple[list[Article], list[IngestError]]:
    """A URL given directly (e.g. on the command line): a feed (all its entries) or a page.

    Never raises for a bad URL, a failed fetch or an unparsable response: those come back as
    :class:`IngestError` values naming the URL, like the per-record errors of a file.
    """
    url = url.strip()
    if not is_http_url(url):
        return [], [IngestError(url, "not an http(s) URL")]
    options = options or FetchOptions()
    fetcher = fetcher or fetch
    result = fetch_many([url], options, fetcher)[url]
    if isinstance(result, FetchError):
        return [], [IngestError(url, result.reason.strip() or "the fetch failed without a reason")]
    try:
        articles, problems = articles_from_fetched(result, options, fetcher, path=url)
    except ParseError as exc:
        return [], [IngestError(url, str(exc).strip() or type(exc).__name__)]
    return articles, [note.as_error(url) for note in problems]


def looks_like_url_list(text: str) -> bool:
    """True when every non-empty, non-``#`` line is an http(s) URL (and there is one)."""
    found = False
    for raw in text.split("\n"):
        line = raw.strip()
        if line and not line.startswith("#"):
            if not is_http_url(line):
                return False  # stops at the first prose line: cheap on a long article
            found = True
    return found


def parse_url_list(
    text: str, where: str, options: FetchOptions | None = None, fetcher: Fetcher | None = None
) -> tuple[list[Article], list[IngestError]]:
    """One URL a line (``#`` comments allowed); each is fetched. Failures name the file and line."""
    options = options or FetchOptions()
    fetcher = fetcher or fetch
    errors: list[IngestError] = []
    wanted: list[tuple[int, str]] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if is_http_url(line):
            wanted.append((number, line))
        else:
            errors.append(IngestError(where, f"not an http(s) URL: {line[:80]!r}", number))
    if not wanted and not errors:
        raise ParseError("no URLs in the list")
    fetched = fetch_many([url for _, url in wanted], options, fetcher)
    articles: list[Article] = []
    for number, url in wanted:
        result = fetched[url]
        if isinstance(result, FetchError):
            errors.append(IngestError(where, f"{url}: {result.reason.strip() or 'the fetch failed'}", number))
            continue
        try:
            found, problems = articles_from_fetched(result, options, fetcher, path=where)
        except ParseError as exc:
            errors.append(IngestError(where, f"{url}: {exc}", number))
            continue
        articles.extend(found)
        errors.extend(note.as_error(where, number, prefix=f"{url}: ") for note in problems)
    errors.sort(key=lambda e: e.line or 0)
    return articles, errors
