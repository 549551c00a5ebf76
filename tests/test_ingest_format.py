"""How chunks are embedded is part of an article's version: with ``embed_header="first"`` the header
goes into the first chunk's embedded text only (BM25 keeps it on every chunk), a store embedded
otherwise is re-embedded whole on the next ingest and skipped after that, and the next group is
embedded while this one is written."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from rag import store as store_module
from rag.chunk import chunk_article, embedded_text
from rag.embed import get_embedder, vector_format
from rag.index import embedded_groups, ingest_paths
from rag.ingest import make_article
from rag.settings import Settings
from rag.store import Store, open_store

LONG = "Short note\nWikinews\n2004-11-16\n\n" + " ".join(
    f"The council met on day {n} and agreed item {n}." for n in range(60)
)


def _article(body: str = "First sentence here. Second one follows.", title: str = "Harbour reopens"):
    return make_article(
        id="a1", title=title, source="Agency", published_at="2021-05-05", url="", text=body, path="x.txt"
    )


def test_only_the_first_chunk_embeds_the_header() -> None:
    article = _article(" ".join(f"Sentence number {n} is here." for n in range(80)))
    first, second, *_ = chunk_article(article, max_tokens=40)
    assert embedded_text(first, "first") == f"Harbour reopens — Agency — 2021-05-05\n{first.text}"
    assert embedded_text(second, "first") == second.text
    assert embedded_text(second) == embedded_text(second, "every") == second.indexed_text


def test_the_stored_vectors_are_of_the_embedded_text(tmp_path: Path, fresh_settings: Settings) -> None:
    settings = fresh_settings.with_(embed_header="first")
    (tmp_path / "note.txt").write_text(LONG)
    ingest_paths([tmp_path / "note.txt"], settings)
    store = open_store(settings)
    got = store.collection.get(include=["embeddings", "documents", "metadatas"])
    by_index = {
        m["index"]: (d, np.asarray(e), m)
        for d, e, m in zip(got["documents"], got["embeddings"], got["metadatas"], strict=True)
    }
    assert len(by_index) >= 2
    text0, vector0, meta0 = by_index[0]
    text1, vector1, meta1 = by_index[1]
    expected = get_embedder().embed([f"{meta0['header']}\n{text0}", text1])
    np.testing.assert_allclose(vector0, expected[0], atol=1e-6)
    np.testing.assert_allclose(vector1, expected[1], atol=1e-6)
    assert meta0["index_format"] == vector_format(settings) and "index_format" not in meta1
    assert meta1["header"] == meta0["header"]  # BM25 still reads the header with every chunk


def test_a_store_embedded_otherwise_is_re_embedded_once(
    tmp_path: Path, fresh_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "long.txt").write_text(LONG)
    (folder / "short.txt").write_text("Other note\nWikinews\n2004-11-17\n\nThe bridge reopened on Monday.")
    old = fresh_settings.with_(embed_header="first")
    assert ingest_paths([folder], old).added == 2
    monkeypatch.setattr(store_module, "_STORES", {})  # as a new process would open it
    changed = ingest_paths([folder], fresh_settings)
    assert (changed.updated, changed.skipped) == (2, 0)
    again = ingest_paths([folder], fresh_settings)
    assert (again.added, again.updated, again.skipped) == (0, 0, 2)


def test_a_marker_from_before_the_format_was_recorded_is_not_current(fresh_settings: Settings) -> None:
    store = open_store(fresh_settings)
    article = _article()
    legacy = {"content_hash": article.content_hash, "chunk_tokens": fresh_settings.chunk_tokens}
    assert Store.stored_version(legacy) != store.version_of(article)
    current = {**legacy, "index_format": vector_format(fresh_settings)}
    assert Store.stored_version(current) == store.version_of(article)


class _RecordingEmbedder:
    def __init__(self, fail_on: int | None = None) -> None:
        self.threads: list[str] = []
        self.calls = 0
        self.fail_on = fail_on

    def embed(self, texts):
        self.calls += 1
        self.threads.append(threading.current_thread().name)
        if self.calls == self.fail_on:
            raise RuntimeError("model failed")
        return np.array([[float(len(t))] for t in texts])


def test_groups_come_back_in_order_embedded_in_the_background(fresh_settings: Settings) -> None:
    groups = [[_article(f"Group {g} sentence {n}.", title=f"T{g}")] for g in range(5) for n in range(1)]
    embedder = _RecordingEmbedder()
    seen = []
    for chunked, vectors in embedded_groups(groups, embedder, fresh_settings):  # type: ignore[arg-type]
        [(article, chunks)] = chunked
        seen.append(article.title)
        assert vectors.shape == (len(chunks), 1)
    assert seen == [f"T{g}" for g in range(5)]
    assert all(name.startswith("ingest-embed") for name in embedder.threads)


def test_a_failed_embedding_stops_the_ingest(fresh_settings: Settings) -> None:
    groups = [[_article(title=f"T{g}")] for g in range(4)]
    written = []
    with pytest.raises(RuntimeError, match="model failed"):
        for chunked, _ in embedded_groups(groups, _RecordingEmbedder(fail_on=3), fresh_settings):  # type: ignore[arg-type]
            written += [a.title for a, _ in chunked]
    assert written == ["T0", "T1"]
