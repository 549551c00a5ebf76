"""What every format shares: errors, the Article constructor, text clean-up, decoding, dates and ids.

Ids say where an article came from, never just its file name: the canonical URL when the
document knows it (:func:`url_id`), else the file's resolved path (:func:`path_id`); a record's
own ``id`` field is kept (the source's own identity). Where ``published_at`` came from is
recorded in ``Article.date_from``: ``text``/``metadata`` (the document says so), ``feed`` (the
entry's own date), and the fall-backs ``feed-time``, ``http-time`` and ``file-time``.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urlsplit

from rag.fetch import Fetched, FetchOptions
from rag.types import Article

FEED_SUFFIXES = {".rss", ".atom", ".xml"}
SUPPORTED_SUFFIXES = {
    ".txt", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl", *FEED_SUFFIXES, ".urls", ".pdf",
}  # fmt: skip
Fetcher = Callable[[str, FetchOptions], Fetched]
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
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


# ---------------------------------------------------------------- articles


def content_hash(title: str, source: str, published_at: str, url: str, text: str, provenance: str = "") -> str:
    """What is stored and shown, hashed: an article is rewritten exactly when this changes."""
    fields = [title, source, published_at, url, text] + ([provenance] if provenance else [])
    payload = json.dumps(fields, ensure_ascii=False)
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
    provenance: str = "",
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
        content_hash=content_hash(title, source, published_at, url, text, provenance),
        path=path,
        date_from=date_from if published_at else "unknown",
        byline=" ".join((byline or "").split()),
        feed_entry=feed_entry,
        provenance=provenance,
    )


def with_provenance(article: Article, note: str, article_id: str | None = None) -> Article:
    """The article with ``note`` added to its provenance (and a new id if given), hash updated."""
    provenance = "; ".join(p for p in (note, article.provenance) if p)
    digest = content_hash(article.title, article.source, article.published_at, article.url, article.text, provenance)
    return replace(article, id=article_id or article.id, provenance=provenance, content_hash=digest)


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
    return decode_noted(data)[0]


def decode_noted(data: bytes) -> tuple[str, str]:
    """Bytes → (text, a warning or ""). UTF-8 with a few broken bytes stays UTF-8, the broken
    bytes replaced by U+FFFD and said so; a legacy encoding (Windows-1252, …) is detected."""
    if not data.strip():
        raise ParseError("empty file")
    head = data[:8192]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), ""
        except UnicodeDecodeError as exc:
            raise ParseError("broken UTF-16 text") from exc
    if b"\x00" in head:
        raise ParseError("binary file (contains NUL bytes); not a text format")
    try:
        return data.decode("utf-8-sig"), ""
    except UnicodeDecodeError:
        pass
    replaced = data.decode("utf-8-sig", errors="replace")
    kept = data.decode("utf-8-sig", errors="ignore")
    broken = replaced.count("\ufffd") - kept.count("\ufffd")
    well_formed = sum(1 for c in kept if ord(c) > 127)
    if well_formed >= broken:  # mostly good UTF-8 (a cp1252 text almost never forms valid sequences)
        plural = "s" if broken != 1 else ""
        return replaced, f"invalid UTF-8: {broken} broken byte sequence{plural} replaced by U+FFFD (�)"
    # Western news in a legacy encoding is nearly always Windows-1252; detectors guess badly on
    # short texts, so accept cp1252 when it yields Latin letters only, else ask the detector.
    try:
        text = data.decode("cp1252")
        letters = [c for c in text if c.isalpha()]
        if letters and sum(c <= "ÿ" for c in letters) / len(letters) > 0.98:
            return text, ""
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise ParseError("binary or undecodable file (no text encoding fits)")
    return str(best), ""


# ---------------------------------------------------------------- dates


def parse_date(text: str) -> str:
    """Any human date ("Nov 24, 2020, 11:51 PM IST", "2020-11-24") → ISO date, or ""."""
    text = text.strip()
    if ISO_DATE.match(text[:10]):
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


def struct_date(value: Any) -> str:
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


# ---------------------------------------------------------------- ids


def _slug(text: str, limit: int = 80) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:limit].strip("-")


def sha8(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", errors="surrogatepass"), usedforsecurity=False).hexdigest()[:8]


def url_id(url: str) -> str:
    """A stable, readable id for an article whose URL is known: ``host-path-slug-1a2b3c4d`` (sha1 of the URL)."""
    url = urldefrag(url.strip())[0]
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").removeprefix("www.")
        path = parts.path
    except ValueError:
        host, path = "", ""
    slug = _slug(f"{host}{path}")
    return f"{slug}-{sha8(url)}" if slug else sha8(url)


def path_id(path: str | Path) -> str:
    """The id of a file's one article when it has no URL: ``folder-name-ext-1a2b3c4d`` (sha1 of
    the resolved path), so ``a/story.txt`` and ``b/story.txt`` are two articles."""
    resolved = Path(path).resolve()
    return f"{_slug(f'{resolved.parent.name}-{resolved.name}', 60) or 'file'}-{sha8(str(resolved))}"


def document_id(url: str, path: str | Path) -> str:
    """Canonical URL when known, otherwise the path."""
    return url_id(url) if url else path_id(path)


def host_of(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").removeprefix("www.")
    except ValueError:
        return ""


def kind_of(fetched: Fetched) -> str:
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
