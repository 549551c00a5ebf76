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


def upload(settings: Settings, files: list[Any]) -> None:
    """Save the uploads under STORE/uploads and ingest them, with a progress bar and per-file errors."""
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
        st.error(escape(str(exc)))
        return
    bar.progress(1.0, text="Done")
    st.success(escape(report.summary()))
    for error in report.errors:
        st.error(escape(str(error).replace(str(folder) + "/", "")))
    for warning in report.warnings:
        st.warning(escape(warning))


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
        st.bar_chart(table["source"].value_counts().head(20).rename("articles"))
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
    files = st.file_uploader("Files", type=UPLOAD_TYPES, accept_multiple_files=True, key="uploads")
    if files and st.button("Ingest the files", type="primary", key="ingest_go"):
        upload(settings, files)
