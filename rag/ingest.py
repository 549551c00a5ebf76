"""Files → Articles. Parsing only: pure functions over bytes and text, no store access.

Formats: ``.txt`` (Wikinews layout or a raw scraped page), ``.md``, ``.html``/``.htm``
(trafilatura), ``.json`` (a record or a list) and ``.jsonl`` (a record per line).
Every problem becomes an :class:`IngestError` naming the file (and line) and why.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from rag.types import Article

SUPPORTED_SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl"}
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SURROGATES = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class IngestError:
    path: str
    reason: str
    line: int | None = None

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
) -> Article:
    text = normalise_text(text)
    if not text.strip():
        raise ParseError("no article text found")
    title = " ".join((title or "").split()) or first_words(text)
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
    )


def normalise_text(text: str) -> str:
    """Unix newlines, no trailing spaces, at most one blank line between paragraphs."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
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


def parse_file(path: Path, max_bytes: int = 20_000_000) -> tuple[list[Article], list[IngestError]]:
    """One file → its articles and the errors of the records that failed (JSON lines)."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise ParseError(
            f"unsupported file type {suffix or '(none)'}; use one of {', '.join(sorted(SUPPORTED_SUFFIXES))}"
        )
    # A JSON-lines export holds many articles: there the size cap applies to each record instead.
    size = path.stat().st_size
    if suffix != ".jsonl" and size > max_bytes:
        raise ParseError(f"file too large ({size:,} bytes; limit {max_bytes:,})")
    text = decode(path.read_bytes())
    if suffix == ".jsonl":
        return parse_jsonl(text, str(path), max_bytes)
    if suffix == ".json":
        return parse_json(text, str(path))
    if suffix in {".html", ".htm"}:
        return [parse_html(text, path)], []
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


def parse_html(text: str, path: Path) -> Article:
    """Main text and metadata via trafilatura; scripts, styles and navigation never reach the store."""
    import trafilatura

    doc = trafilatura.bare_extraction(text, with_metadata=True, include_comments=False, include_tables=False)
    if doc is None or not (doc.text or "").strip():
        raise ParseError("no article text found in the HTML")
    return make_article(
        id=path.stem,
        title=doc.title or "",
        source=doc.sitename or doc.hostname or "unknown",
        published_at=parse_date(doc.date) if doc.date else "",
        url=doc.url or "",
        text=doc.text,
        path=str(path),
        date_from="metadata",
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
