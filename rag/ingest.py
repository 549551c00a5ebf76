"""Files and URLs → Articles. Parsing only: pure functions over bytes and text, no store access.

Formats: ``.txt`` (Wikinews layout or a raw scraped page), ``.md``, ``.html``/``.htm``
(trafilatura), ``.json`` (a record or a list), ``.jsonl`` (a record per line), RSS/Atom feeds
(``.rss``, ``.atom``, ``.xml``; feedparser), ``.pdf`` (pypdf, text layer only) and URL lists
(``.urls``, or a ``.txt`` whose every non-comment line is an http(s) URL). :func:`parse_url`
takes one URL (a feed or a page) directly.

The network is reached only through the ``fetcher`` callable passed in (by default
:func:`rag.fetch.fetch`), so everything here can be tested with a fake. Where a date comes
from is recorded in ``Article.date_from``: ``text``/``metadata`` (the document says so),
``feed`` (the entry's own date), and the fall-backs ``feed-time`` (the feed's updated date),
``http-time`` (the Last-Modified header) and ``file-time`` (the file's mtime), so the UI can say
"date from file time" instead of passing a guess off as the publication date.

Every problem becomes an :class:`IngestError` naming the file (and line or feed entry) and why.
"""

from __future__ import annotations

import hashlib
import html
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urldefrag, urlsplit

from rag.fetch import Fetched, FetchError, FetchOptions, fetch, is_http_url
from rag.types import Article

FEED_SUFFIXES = {".rss", ".atom", ".xml"}
SUPPORTED_SUFFIXES = {
    ".txt", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl", *FEED_SUFFIXES, ".urls", ".pdf",
}  # fmt: skip
Fetcher = Callable[[str, FetchOptions], Fetched]
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SURROGATES = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class IngestError:
    path: str
    reason: str
    line: int | None = None
    warning: bool = False  # the article was still stored (e.g. a feed's teaser kept when its page failed)
    unchanged: bool = False  # not a problem: a feed entry already stored as is (its page was not re-fetched)
    article_id: str = ""  # with ``unchanged``: the stored article this entry still stands for

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.reason}"


class ParseError(ValueError):
    """A file (or record) that cannot become an article; the message says why."""


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


def content_hash(title: str, source: str, published_at: str, url: str, text: str) -> str:
    payload = json.dumps([title, source, published_at, url, text], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]


def make_article(
    id: str,
    title: str,
    source: str,
    published_at: str,
    url: str,
    text: str,
    path: str = "",
    date_from: str = "text",
    byline: str = "",
    drop_headline: bool = False,
    feed_entry: str = "",
) -> Article:
    """An Article with normalised text and its content hash. ``drop_headline`` (pages, PDFs): a
    first line that only repeats the title is not body text."""
    text = normalise_text(text)
    if not text.strip():
        raise ParseError("no article text found")
    title = " ".join((title or "").split()) or first_words(text)
    if drop_headline:
        text = without_headline(text, title)
    return Article(
        id=id,
        title=title,
        source=(source or "unknown").strip(),
        published_at=published_at or "",
        url=url or "",
        text=text,
        content_hash=content_hash(title, source, published_at, url, text),
        path=path,
        date_from=date_from if published_at else "unknown",
        byline=" ".join((byline or "").split()),
        feed_entry=feed_entry,
    )


def _comparable(line: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", line.casefold()).split())


def without_headline(text: str, title: str) -> str:
    """The body without a first line that only repeats the title (a page's <h1>, a PDF's heading):
    otherwise the headline is quoted as an answer or runs into the first sentence."""
    first, _, rest = text.partition("\n")
    if rest.strip() and _comparable(first) and _comparable(first) == _comparable(title):
        return rest.lstrip("\n")
    return text


# Entities a careless export leaves in plain text ("Brasília &ndash; Mr. Lula"): typography only.
_LEFTOVER_ENTITY = re.compile(
    r"&(?:[nm]dash|nbsp|amp|quot|apos|[lr]squo|[lr]dquo|hellip|#\d{2,6}|#[xX][0-9a-fA-F]{2,5});"
)


def _typography(match: re.Match[str]) -> str:
    """The character an entity stands for, except < and >: escaped markup must stay inert text."""
    char = html.unescape(match.group())
    return match.group() if char in "<>" else char


def normalise_text(text: str) -> str:
    """Unix newlines, no trailing spaces, at most one blank line between paragraphs, no leftover
    typographic HTML entities."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    text = _LEFTOVER_ENTITY.sub(_typography, text)
    text = _SURROGATES.sub("\ufffd", text)  # lone surrogates (from JSON escapes) cannot be stored
    lines = [line.rstrip() for line in text.split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def first_words(text: str, n: int = 12) -> str:
    words = text.split()
    return " ".join(words[:n]) + ("…" if len(words) > n else "")


# ---------------------------------------------------------------- bytes → text


def decode(data: bytes) -> str:
    """Bytes → text, refusing empty and binary input; non-UTF-8 encodings are detected."""
    if not data.strip():
        raise ParseError("empty file")
    head = data[:8192]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ParseError("broken UTF-16 text") from exc
    if b"\x00" in head:
        raise ParseError("binary file (contains NUL bytes); not a text format")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    # Western news in a legacy encoding is nearly always Windows-1252; detectors guess badly on
    # short texts, so accept cp1252 when it yields Latin letters only, else ask the detector.
    try:
        text = data.decode("cp1252")
        letters = [c for c in text if c.isalpha()]
        if letters and sum(c <= "ÿ" for c in letters) / len(letters) > 0.98:
            return text
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise ParseError("binary or undecodable file (no text encoding fits)")
    return str(best)


# ---------------------------------------------------------------- dates


def parse_date(text: str) -> str:
    """Any human date ("Nov 24, 2020, 11:51 PM IST", "2020-11-24") → ISO date, or ""."""
    text = text.strip()
    if _ISO_DATE.match(text[:10]):
        try:
            return date.fromisoformat(text[:10]).isoformat()
        except ValueError:
            return ""
    import dateparser  # slow import; only scraped pages and feeds need it

    # Relative dates ("3 hours ago") would become the ingest day and change the hash every run.
    parsed = dateparser.parse(
        text,
        settings={
            "PREFER_DAY_OF_MONTH": "first",
            "RETURN_AS_TIMEZONE_AWARE": False,
            "PARSERS": ["timestamp", "custom-formats", "absolute-time"],
        },
    )
    return parsed.date().isoformat() if parsed else ""


# ---------------------------------------------------------------- per format


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
    data = path.read_bytes()
    options = fetch_options or FetchOptions()
    fetcher = fetcher or fetch
    file_time = datetime.fromtimestamp(stat.st_mtime).date().isoformat()
    if suffix == ".pdf":
        return [parse_pdf(data, path, file_time)], []
    if suffix in FEED_SUFFIXES:
        return parse_feed(data, str(path), options, fetcher, file_time=file_time)
    text = decode(data)
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


def parse_txt(text: str, path: Path) -> Article:
    lines = normalise_text(text).split("\n")
    is_wikinews_layout = (
        len(lines) >= 5 and _ISO_DATE.match(lines[2].strip()) and not lines[3].strip() and lines[0].strip()
    )
    if is_wikinews_layout:
        return make_article(
            id=path.stem,
            title=lines[0],
            source=lines[1],
            published_at=parse_date(lines[2]),
            url="",
            text="\n".join(lines[4:]),
            path=str(path),
        )
    return parse_scraped_page(text, path)


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
        id=path.stem,
        title=title,
        source=source or "unknown",
        published_at=published,
        url="",
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


_FRONT_MATTER = re.compile(r"^---\n(.*?)\n---\n", re.DOTALL)


def parse_markdown(text: str, path: Path) -> Article:
    """Markdown with optional ``key: value`` front matter (title, source, date, url)."""
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
    return make_article(
        id=meta.get("id") or path.stem,
        title=title,
        source=meta.get("source", "unknown"),
        published_at=parse_date(date_text) if date_text else "",
        url=meta.get("url", ""),
        text=text,
        path=str(path),
        date_from="metadata",
    )


@dataclass(frozen=True)
class _Page:
    """What trafilatura found in an HTML page."""

    text: str
    title: str
    published_at: str
    byline: str
    source: str
    url: str


def _extract_html(content: str | bytes, url: str | None = None) -> _Page:
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
    return _Page(
        text=doc.text,
        title=doc.title or "",
        published_at=parse_date(doc.date) if doc.date else "",
        byline=doc.author or "",
        source=doc.sitename or doc.hostname or "",
        url=doc.url or "",
    )


def parse_html(text: str, path: Path, file_time: str = "") -> Article:
    """A saved page. Without a date in its metadata, the file's mtime (``date_from="file-time"``)."""
    page = _extract_html(text)
    published, date_from = (page.published_at, "metadata") if page.published_at else (file_time, "file-time")
    return make_article(
        id=path.stem,
        title=page.title,
        source=page.source or "unknown",
        published_at=published,
        url=page.url,
        text=page.text,
        path=str(path),
        date_from=date_from,
        byline=page.byline,
        drop_headline=True,
    )


def record_to_article(record: object, where: str) -> Article:
    """A JSON record ``{id, title, source, published_at, url, body}`` → Article."""
    if not isinstance(record, dict):
        raise ParseError("record is not a JSON object")
    body = record.get("body") or record.get("text") or record.get("content")
    if not isinstance(body, str) or not body.strip():
        raise ParseError("record has no 'body' text")
    rid = record.get("id")
    if rid is None or not str(rid).strip():
        raise ParseError("record has no 'id'")
    published = str(record.get("published_at") or record.get("date") or "")
    return make_article(
        id=str(rid),
        title=str(record.get("title") or ""),
        source=str(record.get("source") or "unknown"),
        published_at=parse_date(published) if published else "",
        url=str(record.get("url") or ""),
        text=body,
        path=where,
        date_from="metadata",
    )


def parse_jsonl(text: str, where: str, max_record_chars: int = 20_000_000) -> tuple[list[Article], list[IngestError]]:
    articles, errors = [], []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        if len(line) > max_record_chars:
            errors.append(IngestError(where, f"record too large ({len(line):,} characters)", number))
            continue
        try:
            articles.append(record_to_article(json.loads(line), where))
        except json.JSONDecodeError as exc:
            errors.append(IngestError(where, f"malformed JSON ({exc.msg})", number))
        except (ParseError, ValueError, RecursionError) as exc:
            errors.append(IngestError(where, str(exc) or type(exc).__name__, number))
    if not articles and not errors:
        raise ParseError("no records in the file")
    return articles, errors


def parse_json(text: str, where: str) -> tuple[list[Article], list[IngestError]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(f"malformed JSON at line {exc.lineno}: {exc.msg}") from exc
    except (ValueError, RecursionError) as exc:
        raise ParseError(f"unreadable JSON ({exc or type(exc).__name__})") from exc
    records = data if isinstance(data, list) else [data]
    articles, errors = [], []
    for number, record in enumerate(records, start=1):
        try:
            articles.append(record_to_article(record, where))
        except (ParseError, ValueError, RecursionError) as exc:
            errors.append(IngestError(where, f"record {number}: {exc or type(exc).__name__}"))
    return articles, errors


# ---------------------------------------------------------------- ids, HTML fragments, dates


def url_id(url: str) -> str:
    """A stable, readable id for a URL-sourced article: ``host-path-slug-1a2b3c4d`` (sha1 of the URL)."""
    url = urldefrag(url.strip())[0]
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").removeprefix("www.")
        path = parts.path
    except ValueError:
        host, path = "", ""
    slug = re.sub(r"[^a-z0-9]+", "-", f"{host}{path}".lower()).strip("-")[:80].strip("-")
    return f"{slug}-{_sha8(url)}" if slug else _sha8(url)


def _sha8(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", errors="surrogatepass"), usedforsecurity=False).hexdigest()[:8]


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").removeprefix("www.")
    except ValueError:
        return ""


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


def _struct_date(value: Any) -> str:
    """A feedparser ``*_parsed`` time tuple → ISO date, or ""."""
    try:
        return date(*value[:3]).isoformat() if value else ""
    except (TypeError, ValueError, IndexError):
        return ""


def http_date(header: str) -> str:
    """A Last-Modified header ("Tue, 24 Nov 2020 10:00:00 GMT") → ISO date, or ""."""
    if not header:
        return ""
    try:
        return parsedate_to_datetime(header).date().isoformat()
    except (TypeError, ValueError, IndexError, OverflowError):
        return ""


# ---------------------------------------------------------------- fetching (through the fetcher)


def _fetch_many(urls: Iterable[str], options: FetchOptions, fetcher: Fetcher) -> dict[str, Fetched | FetchError]:
    """Fetch each distinct URL, a few at a time (each has its own timeout); failures become values."""

    def one(url: str) -> Fetched | FetchError:
        try:
            return fetcher(url, options)
        except FetchError as exc:
            return exc
        except Exception as exc:  # a broken fetcher must not lose the rest of the feed or list
            return FetchError(url, f"{type(exc).__name__}: {exc}")

    unique = list(dict.fromkeys(urls))
    if len(unique) <= 1:
        return {url: one(url) for url in unique}
    with ThreadPoolExecutor(max_workers=min(8, len(unique)), thread_name_prefix="newsbrief-fetch") as pool:
        return dict(zip(unique, pool.map(one, unique), strict=True))


def _kind(fetched: Fetched) -> str:
    """feed | pdf | html | text, from the content type and, when that is vague, the first bytes."""
    head = fetched.body[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    ctype = fetched.content_type
    if ctype == "application/pdf" or head.startswith(b"%pdf-"):
        return "pdf"
    if "rss" in ctype or "atom" in ctype or ctype in {"application/rdf+xml", "application/feed+json"}:
        return "feed"
    markup = head.split(b"<html", 1)[0]
    if any(tag in markup for tag in (b"<rss", b"<feed", b"<rdf:rdf")):
        return "feed"
    if ctype in {"application/xml", "text/xml"}:
        return "feed"
    if ctype == "text/plain" and not head.startswith(b"<"):
        return "text"
    return "html"


def _articles_from_fetched(
    fetched: Fetched, options: FetchOptions, fetcher: Fetcher, path: str
) -> tuple[list[Article], list[EntryNote]]:
    """A fetched resource → its articles and the problems of parts of it (feed entries)."""
    fallback = (http_date(fetched.last_modified), "http-time")
    kind = _kind(fetched)
    if kind == "feed":
        return _feed_articles(fetched.body, options, fetcher, path=path, fallback=fallback, base_url=fetched.final_url)
    if kind == "pdf":
        article = _pdf_article(
            fetched.body,
            id=url_id(fetched.url),
            path=path,
            url=fetched.final_url,
            source=_host(fetched.final_url),
            fallback=fallback,
        )
        return [article], []
    if kind == "text":
        published, date_from = fallback
        text = decode(fetched.body)
        return [
            make_article(
                id=url_id(fetched.url),
                title="",
                source=_host(fetched.final_url),
                published_at=published,
                url=fetched.final_url,
                text=text,
                path=path,
                date_from=date_from,
            )
        ], []
    return [page_article(fetched, path)], []


def page_article(fetched: Fetched, path: str = "") -> Article:
    """A fetched HTML page. Without a date in its metadata, Last-Modified (``date_from="http-time"``)."""
    page = _extract_html(fetched.body, url=fetched.final_url)
    if page.published_at:
        published, date_from = page.published_at, "metadata"
    else:
        published, date_from = http_date(fetched.last_modified), "http-time"
    return make_article(
        id=url_id(fetched.url),
        title=page.title,
        source=page.source or _host(fetched.final_url) or "unknown",
        published_at=published,
        url=fetched.final_url,
        text=page.text,
        path=path or fetched.url,
        date_from=date_from,
        byline=page.byline,
        drop_headline=True,
    )


def _linked_document(fetched: Fetched, path: str) -> Article:
    """The page a feed entry links to: HTML, or now and then a PDF."""
    if _kind(fetched) == "pdf":
        source = _host(fetched.final_url)
        fallback = (http_date(fetched.last_modified), "http-time")
        return _pdf_article(
            fetched.body, id=url_id(fetched.url), path=path, url=fetched.final_url, source=source, fallback=fallback
        )
    return page_article(fetched, path)


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
    result = _fetch_many([url], options, fetcher)[url]
    if isinstance(result, FetchError):
        return [], [IngestError(url, result.reason)]
    try:
        articles, problems = _articles_from_fetched(result, options, fetcher, path=url)
    except ParseError as exc:
        return [], [IngestError(url, str(exc))]
    return articles, [note.as_error(url) for note in problems]


# ---------------------------------------------------------------- URL lists


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
    fetched = _fetch_many([url for _, url in wanted], options, fetcher)
    articles: list[Article] = []
    for number, url in wanted:
        result = fetched[url]
        if isinstance(result, FetchError):
            errors.append(IngestError(where, f"{url}: {result.reason}", number))
            continue
        try:
            found, problems = _articles_from_fetched(result, options, fetcher, path=where)
        except ParseError as exc:
            errors.append(IngestError(where, f"{url}: {exc}", number))
            continue
        articles.extend(found)
        errors.extend(note.as_error(where, number, prefix=f"{url}: ") for note in problems)
    errors.sort(key=lambda e: e.line or 0)
    return articles, errors


# ---------------------------------------------------------------- RSS / Atom feeds

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
    articles, problems = _feed_articles(
        data, options or FetchOptions(), fetcher or fetch, path=where, fallback=(file_time, "file-time")
    )
    return articles, [note.as_error(where) for note in problems]


def _feed_articles(
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
    source = _plain(feed.get("title_detail"), feed.get("title", "")) or _host(feed.get("link", "")) or _host(base_url)
    feed_time = _struct_date(feed.get("updated_parsed") or feed.get("published_parsed"))
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
                "(fetch_max_pages) were not fetched: their teaser (or the page stored earlier) was kept",
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
    results.update(_fetch_many(to_fetch[:limit], options, fetcher))
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
    published = _struct_date(entry.get("published_parsed") or entry.get("updated_parsed"))
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
                page = _linked_document(result, path)
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
    if not text.strip():
        if not options.fetch_teasers:
            return None, EntryNote(f"{where}: no text (and fetching linked pages is off)")
        return None, EntryNote(problem.replace(f"{KEPT_TEASER}; ", "no text; ") or f"{where}: no text")
    if not published:
        published, date_from = date_fallback
    if draft.link:
        article_id = url_id(draft.link)
    else:
        stem = re.sub(r"[^a-z0-9]+", "-", Path(path).stem.lower()).strip("-") or "feed"
        key = draft.guid or f"{draft.title}\n{text}"
        article_id = f"{stem}-{_sha8(key)}"
    try:
        article = make_article(
            id=article_id,
            title=draft.title,
            source=source or _host(draft.link) or "unknown",
            published_at=published,
            url=draft.link,
            text=text,
            path=path,
            date_from=date_from,
            byline=byline,
            feed_entry=feed_entry,
        )
    except ParseError as exc:
        return None, EntryNote(f"{where}: {exc}")
    return article, EntryNote(problem, "warning") if problem else None


# ---------------------------------------------------------------- PDF


def parse_pdf(data: bytes, path: Path, file_time: str = "") -> Article:
    """A PDF's text layer. Date from /CreationDate, else the file's mtime (``date_from="file-time"``)."""
    return _pdf_article(data, id=path.stem, path=str(path), url="", source="unknown", fallback=(file_time, "file-time"))


_PDF_DATE = re.compile(r"^(?:D:)?(\d{4})(\d{2})?(\d{2})?")


def _pdf_date(raw: object) -> str:
    match = _PDF_DATE.match(str(raw or "").strip())
    if not match:
        return ""
    try:
        return date(int(match.group(1)), int(match.group(2) or 1), int(match.group(3) or 1)).isoformat()
    except ValueError:
        return ""


def _pdf_article(data: bytes, *, id: str, path: str, url: str, source: str, fallback: tuple[str, str]) -> Article:
    import logging

    from pypdf import PdfReader

    if not data.strip():
        raise ParseError("empty file")
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its recoverable-damage warnings are noise here
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")  # owner-password-only PDFs open with an empty password
            except Exception:
                opened = 0
            if not opened:
                raise ParseError("encrypted PDF (needs a password)")
        pages = [page.extract_text() or "" for page in reader.pages]
        meta = reader.metadata or {}
        title = str(meta.get("/Title") or "")
        author = str(meta.get("/Author") or "")
        created = _pdf_date(meta.get("/CreationDate"))
    except ParseError:
        raise
    except Exception as exc:  # pypdf raises many kinds on damaged files
        reason = str(exc).split("\n")[0][:120]
        raise ParseError(f"unreadable PDF ({type(exc).__name__}{': ' + reason if reason else ''})") from exc
    if not pages:
        raise ParseError("PDF has no pages")
    text = normalise_text("\n\n".join(pages))
    if not text:
        raise ParseError("no text layer (a scanned PDF?)")
    if not title.strip():
        title = next((line.strip() for line in text.split("\n") if line.strip()), "")[:200]
    published, date_from = (created, "metadata") if created else fallback
    return make_article(
        id=id,
        title=title,
        source=source or "unknown",
        published_at=published,
        url=url,
        text=text,
        path=path,
        date_from=date_from,
        byline=author,
        drop_headline=True,
    )
