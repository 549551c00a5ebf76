"""RSS and Atom feeds (feedparser): an article per entry.

An entry holding only a teaser (or nothing) gets its linked page fetched through the ``fetcher``
passed in; an entry whose page is stored for the same entry version is not fetched again. An
entry with a headline and a link but no text whose page could not be fetched is stored as a
headline-only article (provenance ``headline only (page not fetched)``) and upgraded by the
first later poll that fetches its page: no entry is dropped without saying why.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from rag.fetch import Fetched, FetchError, FetchOptions, fetch, fetch_many, is_http_url
from rag.ingest.core import (
    Fetcher,
    IngestError,
    ParseError,
    host_of,
    kind_of,
    make_article,
    normalise_text,
    parse_date,
    sha8,
    struct_date,
    url_id,
)
from rag.ingest.html import html_to_text, page_article
from rag.ingest.pdf import fetched_pdf
from rag.types import HEADLINE_ONLY, Article

# A feed entry that is only the start of the story: "…", "[…]", "Read more", "Continue reading".
_TEASER_END = re.compile(
    r"(…|\.\.\.|\[\s*(?:…|\.\.\.)\s*\]|read more|continue reading|read the full (?:story|article))"
    r"[\s\W]*$",
    re.IGNORECASE,
)
TEASER_WORDS = 80
KEPT_TEASER = "kept the teaser"


@dataclass(frozen=True)
class EntryNote:
    """What one feed entry has to report: an error (not stored), a warning (stored anyway, e.g. its
    teaser kept) or that it is unchanged (its stored article stays as it is, page not fetched)."""

    text: str
    kind: Literal["error", "warning", "unchanged"] = "error"
    article_id: str = ""  # for "unchanged": the stored article

    def as_error(self, where: str, line: int | None = None, prefix: str = "") -> IngestError:
        return IngestError(
            where,
            prefix + self.text,
            line,
            warning=self.kind == "warning",
            unchanged=self.kind == "unchanged",
            article_id=self.article_id,
        )


def entry_fingerprint(*parts: str) -> str:
    """What identifies one version of a feed entry in one feed (where it was read, its source,
    link, guid, title, teaser and dates): while none of it changes, neither did its page as far as
    a feed reader can tell without fetching it, so the stored page is kept."""
    key = "\x1f".join(parts)
    return hashlib.sha1(key.encode("utf-8", errors="surrogatepass"), usedforsecurity=False).hexdigest()[:16]


def is_teaser(text: str) -> bool:
    """Too short to be the story (under ~80 words) or cut off with "…"/"Read more"."""
    return len(text.split()) < TEASER_WORDS or bool(_TEASER_END.search(text.strip()[-60:]))


def parse_feed(
    data: bytes,
    where: str,
    options: FetchOptions | None = None,
    fetcher: Fetcher | None = None,
    *,
    file_time: str = "",
) -> tuple[list[Article], list[IngestError]]:
    """An RSS/Atom file: an article per entry; broken entries are errors naming their number."""
    articles, problems = feed_articles(
        data, options or FetchOptions(), fetcher or fetch, path=where, fallback=(file_time, "file-time")
    )
    return articles, [note.as_error(where) for note in problems]


def feed_articles(
    data: bytes,
    options: FetchOptions,
    fetcher: Fetcher,
    *,
    path: str,
    fallback: tuple[str, str],
    base_url: str = "",
) -> tuple[list[Article], list[str]]:
    """Feed bytes → articles and per-entry problems ("entry 3: no text and no link")."""
    import feedparser

    if not data.strip():
        raise ParseError("empty file")
    headers = {"content-location": base_url} if base_url else {}
    # A stream, never bytes or str: feedparser would treat those as a file name or URL to open.
    # Its HTML sanitiser keeps the text of the elements it removes (an iframe's fallback, say);
    # html_to_text drops those with their content, so it gets the markup as sent.
    try:
        parsed = feedparser.parse(io.BytesIO(data), response_headers=headers, sanitize_html=False)
    except Exception as exc:  # feedparser's own guard rails are loose; a broken file is not a crash
        raise ParseError(f"unreadable feed ({type(exc).__name__}: {exc})") from exc
    entries = parsed.get("entries") or []
    if not entries:
        if parsed.get("bozo"):
            raise ParseError(f"malformed feed: {_bozo_reason(parsed.get('bozo_exception'), data)}")
        raise ParseError("no entries in the feed (not an RSS/Atom feed?)")
    feed = parsed.get("feed") or {}
    source = (
        _plain(feed.get("title_detail"), feed.get("title", "")) or host_of(feed.get("link", "")) or host_of(base_url)
    )
    feed_time = struct_date(feed.get("updated_parsed") or feed.get("published_parsed"))
    date_fallback = (feed_time, "feed-time") if feed_time else fallback

    drafts = [_entry_draft(entry, number, path, source) for number, entry in enumerate(entries, start=1)]
    fetched = _fetch_pages([d for d in drafts if _wants_page(d, options)], options, fetcher)

    articles: list[Article] = []
    problems: list[EntryNote] = []
    over_limit = 0
    for draft in drafts:
        article, problem = _entry_article(draft, fetched, source, date_fallback, path, options)
        if article is not None:
            articles.append(article)
        result = fetched.get(draft.link) if _wants_page(draft, options) else None
        if isinstance(result, _OverLimit) or (isinstance(result, _Unchanged) and result.over_limit):
            over_limit += 1
        if problem and not (isinstance(result, _OverLimit) and problem.kind == "warning"):
            problems.append(problem)  # a teaser kept over the limit is said once for the feed, below
    if over_limit:
        problems.append(
            EntryNote(
                f"{over_limit} entries over the limit of {options.max_pages} linked pages per feed "
                "(fetch_max_pages) were not fetched: their teaser or headline (or the page stored earlier) was kept",
                "warning",
            )
        )
    if not articles and parsed.get("bozo") and not any(p.kind == "unchanged" for p in problems):
        # Scraps feedparser recovered from broken XML: the XML error is the useful reason.
        raise ParseError(f"malformed feed: {_bozo_reason(parsed.get('bozo_exception'), data)}")
    return articles, problems


def _bozo_reason(exc: object, data: bytes) -> str:
    """feedparser's complaint, as "line 2, column 28: unclosed token" rather than "<unknown>:2:28: …"."""
    get_message = getattr(exc, "getMessage", None)
    if not callable(get_message):
        return str(exc or "") or "not well-formed XML"
    # xml.sax.SAXParseException. feedparser puts an XML declaration line in front of a file that
    # has none, so its line numbers are one too high there.
    line = exc.getLineNumber()  # type: ignore[attr-defined]
    if not data.lstrip(b"\xef\xbb\xbf").startswith(b"<?xml"):
        line -= 1
    where = f"line {line}, column {exc.getColumnNumber() + 1}: " if line >= 1 else ""  # type: ignore[attr-defined]
    return f"{where}{get_message()}"


@dataclass(frozen=True)
class _Unchanged:
    """The entry's page is stored: keep it as it is, without fetching it again."""

    over_limit: bool = False  # kept because the feed's page limit was reached, not because it is unchanged


@dataclass(frozen=True)
class _OverLimit:
    """Not fetched: the feed's page limit was reached (the entry keeps its teaser)."""


_PageResult = Fetched | FetchError | _Unchanged | _OverLimit


def _fetch_pages(drafts: list[_EntryDraft], options: FetchOptions, fetcher: Fetcher) -> dict[str, _PageResult]:
    """The linked pages of teaser entries. Entries unchanged since their page was stored are not
    fetched again; at most ``options.max_pages`` are fetched, and past that limit an entry keeps
    its stored page if it has one (never downgraded to its teaser), else its teaser."""
    if not drafts:
        return {}
    prints = {d.link: d.fingerprint for d in drafts}
    stored = options.stored_entries(list(prints)) if options.stored_entries else {}
    results: dict[str, _PageResult] = {
        link: _Unchanged() for link, fingerprint in prints.items() if stored.get(link) == fingerprint
    }
    to_fetch = [link for link in prints if link not in results]
    limit = max(0, options.max_pages)
    for link in to_fetch[limit:]:
        results[link] = _Unchanged(over_limit=True) if link in stored else _OverLimit()
    results.update(fetch_many(to_fetch[:limit], options, fetcher))
    return results


def _wants_page(draft: _EntryDraft, options: FetchOptions) -> bool:
    """An entry with only a teaser (or nothing) and a link: its page holds the story."""
    return bool(draft.link) and options.fetch_teasers and (not draft.text.strip() or is_teaser(draft.text))


@dataclass(frozen=True)
class _EntryDraft:
    number: int
    title: str
    link: str
    text: str
    byline: str
    published_at: str
    guid: str
    updated: str
    fingerprint: str  # see entry_fingerprint


def _plain(detail: Any, value: str) -> str:
    """A feedparser text construct → plain text (HTML ones are stripped)."""
    kind = detail.get("type", "") if isinstance(detail, dict) else ""
    value = value or (detail.get("value", "") if isinstance(detail, dict) else "") or ""
    return html_to_text(value) if "html" in kind else value


def _entry_draft(entry: Any, number: int, path: str, source: str) -> _EntryDraft:
    link = (entry.get("link") or "").strip()
    contents = [c for c in entry.get("content") or [] if isinstance(c, dict) and (c.get("value") or "").strip()]
    if contents:
        best = max(contents, key=lambda c: len(c.get("value", "")))
        text = _plain(best, best.get("value", ""))
    else:
        text = _plain(entry.get("summary_detail"), entry.get("summary", ""))
    published = struct_date(entry.get("published_parsed") or entry.get("updated_parsed"))
    if not published:
        raw = entry.get("published") or entry.get("updated") or ""
        published = parse_date(raw) if isinstance(raw, str) and raw.strip() else ""
    title = _plain(entry.get("title_detail"), entry.get("title", ""))
    link = link if is_http_url(link) else ""
    text = normalise_text(text)
    guid = str(entry.get("id") or "")
    updated = str(entry.get("updated") or "")
    return _EntryDraft(
        number=number,
        title=title,
        link=link,
        text=text,
        byline=entry.get("author", "") or "",
        published_at=published,
        guid=guid,
        updated=updated,
        fingerprint=entry_fingerprint(path, source, link, guid, title, text, published, updated),
    )


def _entry_article(
    draft: _EntryDraft,
    fetched: dict[str, _PageResult],
    source: str,
    date_fallback: tuple[str, str],
    path: str,
    options: FetchOptions,
) -> tuple[Article | None, EntryNote | None]:
    """One entry → (article or None, what to report or None)."""
    where = f"entry {draft.number}" + (f" ({draft.title[:60]!r})" if draft.title.strip() else "")
    text, byline, published, date_from = draft.text, draft.byline, draft.published_at, "feed"
    problem = ""
    if not text.strip() and not draft.link:
        return None, EntryNote(f"{where}: no text and no link")
    result = fetched.get(draft.link) if _wants_page(draft, options) else None
    feed_entry = ""
    if isinstance(result, _Unchanged):
        why = "over the feed's page limit" if result.over_limit else "unchanged since the last ingest"
        return None, EntryNote(f"{where}: {why}; kept the page stored earlier", "unchanged", url_id(draft.link))
    if result is not None:
        page: Article | None = None
        if isinstance(result, FetchError):
            reason = result.reason
        elif isinstance(result, _OverLimit):
            reason = f"not fetched (over the limit of {options.max_pages} pages per feed)"
        else:
            try:
                page = linked_document(result, path)
                reason = ""
            except ParseError as exc:
                reason = str(exc)
        if page is not None and len(page.text) > len(text):
            text = page.text
            feed_entry = draft.fingerprint
            byline = byline or page.byline
            if not published and page.published_at:
                published, date_from = page.published_at, "metadata"
        elif page is None:
            problem = f"{where}: {KEPT_TEASER}; {draft.link}: {reason}"
    provenance = ""
    if not text.strip():
        why = problem.split(f"{KEPT_TEASER}; ", 1)[-1] if problem else "fetching linked pages is off"
        if not draft.title.strip():
            return None, EntryNote(f"{where}: no text and no headline; {why}")
        text, provenance = draft.title, HEADLINE_ONLY  # stored, marked, and upgraded by a later poll
        problem = f"{where}: stored the headline only; {why}"
    if not published:
        published, date_from = date_fallback
    if draft.link:
        article_id = url_id(draft.link)
    else:
        stem = re.sub(r"[^a-z0-9]+", "-", Path(path).stem.lower()).strip("-") or "feed"
        key = draft.guid or f"{draft.title}\n{text}"
        article_id = f"{stem}-{sha8(key)}"
    try:
        article = make_article(
            id=article_id,
            title=draft.title,
            source=source or host_of(draft.link) or "unknown",
            published_at=published,
            url=draft.link,
            text=text,
            path=path,
            date_from=date_from,
            byline=byline,
            feed_entry=feed_entry,
            provenance=provenance,
        )
    except ParseError as exc:
        return None, EntryNote(f"{where}: {exc}")
    return article, EntryNote(problem, "warning") if problem else None


def linked_document(fetched: Fetched, path: str) -> Article:
    """The page a feed entry links to: HTML, or now and then a PDF."""
    return fetched_pdf(fetched, path) if kind_of(fetched) == "pdf" else page_article(fetched, path)
