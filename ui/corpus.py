"""Corpus page: what is in the store (counts, per day, per source, search by title) and uploads."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from rag.index import IngestBusy, ingest_paths
from rag.ingest import SUPPORTED_SUFFIXES
from rag.settings import Settings
from rag.store import Store
from ui.common import escape

UPLOAD_TYPES = sorted(s.lstrip(".") for s in SUPPORTED_SUFFIXES)


def safe_name(name: str) -> str:
    """An uploaded file's name, reduced to a plain file name (no folders, no dot files)."""
    stem = re.sub(r"[^\w.\-]+", "_", Path(name).name).strip("._") or "upload"
    return stem[:120]


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
TOP_SOURCES = 15  # the per-source chart shows these many, the rest lumped into "(others)"


def upload(settings: Settings, files: list[Any]) -> dict[str, Any]:
    """Save the uploads under STORE/uploads and ingest them, with a progress bar.

    Returns the report to show (summary, per-file errors, warnings) as plain strings, unescaped.
    """
    folder = settings.home / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    saved = []
    for file in files:
        path = folder / safe_name(file.name)
        path.write_bytes(file.getvalue())
        saved.append(path)
    bar = st.progress(0.0, text="Reading the files…")

    def progress(stage: str, done: int, total: int) -> None:
        bar.progress(min(1.0, done / max(total, 1)), text=f"{stage}: {done} of {total}")

    try:
        report = ingest_paths(saved, settings, progress, wait_seconds=5)
    except IngestBusy as exc:
        bar.empty()
        return {"summary": "", "errors": [str(exc)], "warnings": []}
    bar.progress(1.0, text="Done")
    return {
        "summary": report.summary(),
        "errors": [str(error).replace(str(folder) + "/", "") for error in report.errors],
        "warnings": [str(warning).replace(str(folder) + "/", "") for warning in report.warnings],
    }


def show_report(report: dict[str, Any]) -> None:
    """The last ingest's summary, per-file errors and warnings (all escaped)."""
    if report.get("summary"):
        st.success(escape(report["summary"]))
    for error in report.get("errors", []):
        st.error(escape(error))
    for warning in report.get("warnings", []):
        st.warning(escape(warning))


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
        dated = table[table["published"] != ""]
        per_day = Counter(dated["published"])
        st.subheader("Articles per day")
        st.bar_chart(pd.Series(per_day).sort_index().rename("articles"))
        st.subheader("Articles per source")
        sources = per_source(table)
        others = table["source"].nunique() - TOP_SOURCES
        if others > 0:
            st.caption(f"The {TOP_SOURCES} biggest sources; the {others} others are counted together as (others).")
        # Horizontal, in this order (biggest first, "(others)" last), so source names are readable.
        st.bar_chart(sources, x="source", y="articles", horizontal=True, sort=False)
    st.subheader("Search by title")
    query = st.text_input("Title contains", key="title_search", placeholder="Arafat")
    shown = table[table["title"].str.contains(query, case=False, regex=False)] if query else table
    st.caption(f"{len(shown)} of {len(table)} articles")
    st.dataframe(shown, hide_index=True, width="stretch")

    st.subheader("Add articles")
    st.caption(
        "Text, Markdown, HTML, JSON lines, PDF, RSS/Atom feeds or a list of URLs. Unchanged files are "
        "skipped; a file that cannot be read is named below and the others are still added."
    )
    if REPORT_KEY in st.session_state:  # kept across the rerun below, so the messages stay
        show_report(st.session_state[REPORT_KEY])
    files = st.file_uploader("Files", type=UPLOAD_TYPES, accept_multiple_files=True, key="uploads")
    if files and st.button("Ingest the files", type="primary", key="ingest_go"):
        st.session_state[REPORT_KEY] = upload(settings, files)
        st.rerun()  # the counts above (and the sidebar's) are read again, with the new articles
