"""Corpus page: what is in the store (counts, per day, per source, search by title) and uploads.

Uploads are offered only when the operator allows writing (``ui.common.write_access``). Each file
is capped at the ingest's size limit (``settings.max_file_bytes``; Streamlit's
``server.maxUploadSize`` caps the transfer itself), a file over it is never written, and a file
the ingest refuses as a whole is deleted again: nothing refused stays in STORE/uploads/.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from rag.identify import uploads_folder
from rag.index import IngestBusy, ingest_paths
from rag.ingest import SUPPORTED_SUFFIXES
from rag.settings import Settings
from rag.store import Store
from ui.common import escape, write_access

UPLOAD_TYPES = sorted(s.lstrip(".") for s in SUPPORTED_SUFFIXES)
MIB = 1024 * 1024  # Streamlit's upload limits are in these "megabytes"


def safe_name(name: str) -> str:
    """An uploaded file's name, reduced to a plain file name (no folders, no dot files)."""
    stem = re.sub(r"[^\w.\-]+", "_", Path(name).name).strip("._") or "upload"
    return stem[:120]


ID_CHAR_PX = 8  # about one character of the table's font, in pixels


def table_columns(table: pd.DataFrame) -> dict[str, Any]:
    """Column widths: the id column as wide as the longest id (a path or URL was cut off at the
    default width; the table scrolls sideways instead), the title wide, the small ones small."""
    longest = int(table["id"].str.len().max()) if len(table) else 10
    return {
        "published": st.column_config.TextColumn("published", width="small"),
        "title": st.column_config.TextColumn("title", width="large"),
        "chunks": st.column_config.NumberColumn("chunks", width="small"),
        "id": st.column_config.TextColumn("id", width=min(1200, ID_CHAR_PX * longest + 24)),
    }


def articles_table(articles: list[dict[str, Any]]) -> pd.DataFrame:
    rows = [
        {
            "published": str(a.get("published_at") or ""),
            "title": str(a.get("title") or ""),
            "source": str(a.get("source") or ""),
            "chunks": int(a.get("n_chunks") or 0),
            "also reported by": ", ".join(
                sorted({str(d.get("source", "")) for d in _links(a)} - {"", str(a.get("source") or "")})
            ),
            "id": str(a.get("article_id") or ""),
        }
        for a in articles
    ]
    return pd.DataFrame(rows, columns=["published", "title", "source", "chunks", "also reported by", "id"])


def _links(article: dict[str, Any]) -> list[dict[str, Any]]:
    from rag.dedup import decode_duplicates

    return [d.to_dict() for d in decode_duplicates(article.get("duplicates"))]


REPORT_KEY = "ingest_report"  # the last ingest's messages, kept across the rerun that refreshes the counts
UPLOADER_KEY = "uploads"  # the file uploader's key, plus a number that changes to empty it
TOP_SOURCES = 15  # the per-source chart shows these many, the rest lumped into "(others)"


def upload_limit_mib(settings: Settings) -> int:
    """The ingest's size limit in Streamlit's upload unit (MiB), rounded up."""
    return max(1, math.ceil(settings.max_file_bytes / MIB))


def size_text(size: int) -> str:
    """52000000 → "52 MB", 3720 → "3.72 kB"."""
    return f"{size / 1e6:.3g} MB" if size >= 1_000_000 else f"{size / 1e3:.3g} kB"


def too_big(name: str, size: int, settings: Settings) -> str | None:
    """Why a file of ``size`` bytes is refused, or None when it fits the ingest's limit."""
    if size <= settings.max_file_bytes:
        return None
    return f"{name}: {size_text(size)} is over the {size_text(settings.max_file_bytes)} limit; not added"


def upload(settings: Settings, store: Store, files: list[Any]) -> dict[str, Any]:
    """Save the uploads under STORE/uploads and ingest them, with a progress bar.

    A file over the size limit is refused before it is written; a file the ingest refused (an
    error names it and nothing of it is stored) is deleted again, as is every file nothing was
    stored from when the ingest cannot run (another ingest holds the store). Returns the report
    to show (summary, per-file errors, warnings) as plain strings, unescaped.
    """
    folder = uploads_folder(settings)
    folder.mkdir(parents=True, exist_ok=True)
    refused = [reason for file in files if (reason := too_big(file.name, file.size, settings))]
    saved = []
    for file in files:
        if too_big(file.name, file.size, settings) is None:
            path = folder / safe_name(file.name)
            path.write_bytes(file.getvalue())
            saved.append(path)
    if not saved:
        return {"summary": "", "errors": refused, "warnings": []}
    bar = st.progress(0.0, text="Reading the files…")

    def progress(stage: str, done: int, total: int) -> None:
        bar.progress(min(1.0, done / max(total, 1)), text=f"{stage}: {done} of {total}")

    try:
        report = ingest_paths(saved, settings, progress, wait_seconds=5)
    except Exception as exc:  # another ingest holds the store, a full disk…: keep only what was stored
        bar.empty()
        stored = stored_paths(store)
        delete_files([path for path in saved if path.resolve() not in stored])
        message = str(exc) if isinstance(exc, IngestBusy) else f"the ingest failed ({type(exc).__name__}: {exc})"
        return {"summary": "", "errors": [*refused, f"{message}; upload the files again"], "warnings": []}
    bar.progress(1.0, text="Done")
    delete_files(refused_paths(saved, report.errors, stored_paths(store)))
    return {
        "summary": report.summary(),
        "errors": refused + [str(error).replace(str(folder) + "/", "") for error in report.errors],
        "warnings": [str(warning).replace(str(folder) + "/", "") for warning in report.warnings],
    }


def refused_paths(saved: list[Path], errors: list[Any], stored: set[Path]) -> list[Path]:
    """The saved files the ingest refused: an error names the file and nothing of it is stored
    (a JSON-lines file with one bad line among good ones is kept)."""
    failed = {Path(e.path).resolve() for e in errors if not getattr(e, "warning", False)}
    return [path for path in saved if path.resolve() in failed and path.resolve() not in stored]


def stored_paths(store: Store) -> set[Path]:
    """The files the store holds articles (or linked near-duplicate copies) from."""
    from rag.dedup import decode_duplicates

    paths = set()
    for meta in store.list_articles():
        paths.add(str(meta.get("path") or ""))
        paths |= {copy.path for copy in decode_duplicates(meta.get("duplicates"))}
    return {Path(p).resolve() for p in paths if p and "://" not in p}


def delete_files(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def show_report(report: dict[str, Any]) -> None:
    """The last ingest's summary, per-file errors and warnings (all escaped)."""
    if report.get("summary"):
        st.success(escape(report["summary"]))
    for error in report.get("errors", []):
        st.error(escape(error))
    for warning in report.get("warnings", []):
        st.warning(escape(warning))


def per_day(table: pd.DataFrame) -> pd.DataFrame:
    """Articles per publication day, as real dates (a time axis: 2011 is not next to 2020); undated left out."""
    days = pd.to_datetime(table["published"].str[:10], format="%Y-%m-%d", errors="coerce").dropna()
    counts = days.value_counts().sort_index()
    return pd.DataFrame({"day": counts.index, "articles": counts.to_numpy()})


def per_source(table: pd.DataFrame, top: int = TOP_SOURCES) -> pd.DataFrame:
    """Articles per source, biggest first: the top ``top`` sources, then the rest as "(others)"."""
    counts = table["source"].replace("", "(no source)").value_counts()
    shown = counts.head(top)
    rest = int(counts.iloc[top:].sum())
    rows = [{"source": str(name), "articles": int(n)} for name, n in shown.items()]
    if rest:
        rows.append({"source": "(others)", "articles": rest})
    return pd.DataFrame(rows, columns=["source", "articles"])


def page(settings: Settings, store: Store, articles: list[dict[str, Any]]) -> None:
    st.title("Corpus")
    table = articles_table(articles)
    copies = sum(len(_links(a)) for a in articles)
    left, middle, right = st.columns(3)
    left.metric("Articles", len(articles))
    middle.metric("Sources", table["source"].nunique() if len(table) else 0)
    right.metric("Near-duplicate copies linked", copies)
    if len(table):
        st.subheader("Articles per day")
        st.bar_chart(per_day(table), x="day", y="articles", x_label="publication day", y_label="articles")
        st.subheader("Articles per source")
        sources = per_source(table)
        others = table["source"].nunique() - TOP_SOURCES
        if others > 0:
            st.caption(f"The {TOP_SOURCES} biggest sources; the {others} others are counted together as (others).")
        # Horizontal, in this order (biggest first, "(others)" last), so source names are readable.
        st.bar_chart(sources, x="source", y="articles", horizontal=True, sort=False)
    st.subheader("Search by title")
    query = st.text_input("Title contains", key="title_search", placeholder="Type words from a title")
    shown = table[table["title"].str.contains(query, case=False, regex=False)] if query else table
    st.caption(f"{len(shown)} of {len(table)} articles")
    st.dataframe(shown, hide_index=True, width="stretch", column_config=table_columns(table))

    st.subheader("Add articles")
    st.caption(
        "Text, Markdown, HTML, JSON lines, PDF, RSS/Atom feeds or a list of URLs, up to "
        f"{size_text(settings.max_file_bytes)} a file. Unchanged files are skipped; a file that cannot "
        "be read is named below and the others are still added."
    )
    if REPORT_KEY in st.session_state:  # kept across the rerun below, so the messages stay
        show_report(st.session_state[REPORT_KEY])
    if not write_access("adding articles"):
        return
    # A new key after each ingest gives an empty uploader (Streamlit cannot clear one in place).
    uploader = f"{UPLOADER_KEY}-{st.session_state.get('uploads_done', 0)}"
    files = st.file_uploader(
        "Files",
        type=UPLOAD_TYPES,
        accept_multiple_files=True,
        key=uploader,
        max_upload_size=upload_limit_mib(settings),
    )
    if st.button("Ingest the files", type="primary", key="ingest_go", disabled=not files):
        st.session_state[REPORT_KEY] = upload(settings, store, files or [])
        st.session_state["uploads_done"] = st.session_state.get("uploads_done", 0) + 1
        st.rerun()  # the counts above (and the sidebar's) are read again, with the new articles
