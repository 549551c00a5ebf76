"""PDF: the text layer (pypdf); a scanned PDF without one is refused, not stored empty."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

from rag.fetch import Fetched
from rag.ingest.core import ParseError, host_of, http_date, make_article, normalise_text, path_id, url_id
from rag.types import Article


def parse_pdf(data: bytes, path: Path, file_time: str = "") -> Article:
    """A PDF's text layer. Date from /CreationDate, else the file's mtime (``date_from="file-time"``)."""
    return pdf_article(
        data, id=path_id(path), path=str(path), url="", source="unknown", fallback=(file_time, "file-time")
    )


def fetched_pdf(fetched: Fetched, path: str) -> Article:
    """A fetched PDF (a URL given, or a feed entry's link). Without /CreationDate, Last-Modified."""
    return pdf_article(
        fetched.body,
        id=url_id(fetched.url),
        path=path,
        url=fetched.final_url,
        source=host_of(fetched.final_url),
        fallback=(http_date(fetched.last_modified), "http-time"),
    )


_PDF_DATE = re.compile(r"^(?:D:)?(\d{4})(\d{2})?(\d{2})?")


def _pdf_date(raw: object) -> str:
    match = _PDF_DATE.match(str(raw or "").strip())
    if not match:
        return ""
    try:
        return date(int(match.group(1)), int(match.group(2) or 1), int(match.group(3) or 1)).isoformat()
    except ValueError:
        return ""


def pdf_article(data: bytes, *, id: str, path: str, url: str, source: str, fallback: tuple[str, str]) -> Article:
    """PDF bytes → Article; ``fallback`` is the (date, date_from) used without a /CreationDate."""
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
