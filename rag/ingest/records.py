"""JSON records ``{id, title, source, published_at, url, body}``: a ``.json`` file (one record
or a list) or ``.jsonl`` (a record per line). A record keeps its own ``id`` (the exporter's
identity for it); without one, its URL identifies it."""

from __future__ import annotations

import json
import re

from rag.ingest.core import IngestError, ParseError, make_article, parse_date, url_id
from rag.types import Article

_SURROGATE = re.compile("[\ud800-\udfff]")  # JSON may escape one alone; no stored text can hold it
REPLACED_SURROGATES = "invalid Unicode: lone surrogate escapes replaced by U+FFFD (\ufffd)"


def _has_lone_surrogates(record: object) -> bool:
    return isinstance(record, dict) and any(isinstance(v, str) and _SURROGATE.search(v) for v in record.values())


def record_to_article(record: object, where: str) -> Article:
    """A JSON record ``{id, title, source, published_at, url, body}`` → Article."""
    if not isinstance(record, dict):
        raise ParseError("record is not a JSON object")
    body = record.get("body") or record.get("text") or record.get("content")
    if not isinstance(body, str) or not body.strip():
        raise ParseError("record has no 'body' text")
    url = str(record.get("url") or "")
    rid = record.get("id")
    if rid is None or not str(rid).strip():
        if not url.strip():
            raise ParseError("record has no 'id' (and no 'url' to tell it by)")
        rid = url_id(url)
    published = str(record.get("published_at") or record.get("date") or "")
    return make_article(
        id=str(rid),
        title=str(record.get("title") or ""),
        source=str(record.get("source") or "unknown"),
        published_at=parse_date(published) if published else "",
        url=url,
        text=body,
        path=where,
        date_from="metadata",
    )


def parse_jsonl(text: str, where: str, max_record_chars: int = 20_000_000) -> tuple[list[Article], list[IngestError]]:
    """A record per line; a bad line is an error naming it, a repeated id a warning naming both lines."""
    articles, errors = [], []
    first_line: dict[str, int] = {}
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        if len(line) > max_record_chars:
            errors.append(IngestError(where, f"record too large ({len(line):,} characters)", number))
            continue
        try:
            record = json.loads(line)
            article = record_to_article(record, where)
        except json.JSONDecodeError as exc:
            errors.append(IngestError(where, f"malformed JSON ({exc.msg})", number))
            continue
        except (ParseError, ValueError, RecursionError) as exc:
            errors.append(IngestError(where, str(exc) or type(exc).__name__, number))
            continue
        if _has_lone_surrogates(record):
            errors.append(IngestError(where, REPLACED_SURROGATES, number, warning=True))
        if article.id in first_line:
            reason = f"id {article.id!r} is also on line {first_line[article.id]}; line {number} is kept"
            errors.append(IngestError(where, reason, number, warning=True))
        first_line[article.id] = number
        articles.append(article)
    if not articles and not errors:
        raise ParseError("no records in the file")
    return articles, errors


def parse_json(text: str, where: str) -> tuple[list[Article], list[IngestError]]:
    """One record or a list of them; a repeated id is a warning naming both records."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(f"malformed JSON at line {exc.lineno}: {exc.msg}") from exc
    except (ValueError, RecursionError) as exc:
        raise ParseError(f"unreadable JSON ({exc or type(exc).__name__})") from exc
    records = data if isinstance(data, list) else [data]
    articles, errors = [], []
    first_record: dict[str, int] = {}
    for number, record in enumerate(records, start=1):
        try:
            article = record_to_article(record, where)
        except (ParseError, ValueError, RecursionError) as exc:
            errors.append(IngestError(where, f"record {number}: {exc or type(exc).__name__}"))
            continue
        if _has_lone_surrogates(record):
            errors.append(IngestError(where, f"record {number}: {REPLACED_SURROGATES}", warning=True))
        if article.id in first_record:
            earlier = first_record[article.id]
            reason = f"record {number}: id {article.id!r} is also record {earlier}; record {number} is kept"
            errors.append(IngestError(where, reason, warning=True))
        first_record[article.id] = number
        articles.append(article)
    return articles, errors
