"""The store under many processes and threads: the BM25 index on disk is never half-swapped and
nothing is left behind; a long-lived process sees what another one ingested.

Real processes (``multiprocessing`` spawn, ``python -m rag ingest``), real ``flock``s and renames;
the Chroma-backed tests use a small store of their own.
"""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from rag.store import BUILD_LOCK, READ_LOCK, Bm25Files, Bm25Index

PROCESSES = 5


def tiny_index(generation: str, pause: float = 0.0) -> Bm25Index:
    """An index whose every chunk id names its generation, so a mixed-up read is caught."""
    import bm25s

    time.sleep(pause)  # a slow build widens every race window
    ids = [f"{generation}:{n}" for n in range(3)]
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize([f"ferry {generation}", "harbour bridge", "council vote"], show_progress=False))
    return Bm25Index(
        retriever,
        ids,
        np.zeros(3, dtype=np.int64),
        np.array(["gazette"] * 3, dtype=object),
        generation,
        np.array([""] * 3, dtype=object),
    )


def generation_file(folder: Path) -> Path:
    return folder.parent / "current-generation"


def _hammer(folder: str, ready, stop, out: multiprocessing.Queue) -> None:
    """One process: read the index of whatever generation is current, over and over, until told to stop."""
    files = Bm25Files(Path(folder))
    current_file = generation_file(Path(folder))

    def current() -> str:
        return current_file.read_text().strip()

    reads, errors = 0, []
    ready.release()
    while not stop.is_set():
        try:
            asked = current()
            index = files.get(asked, current, tiny_index)
            if any(not chunk.startswith(f"{index.generation}:") for chunk in index.chunk_ids):
                errors.append(f"index of {index.generation} holds {index.chunk_ids}")
            if index.search("ferry", 3, None, None) == []:
                errors.append(f"index of {index.generation} finds nothing")
            reads += 1
        except Exception as exc:  # the test counts them
            errors.append(f"{type(exc).__name__}: {exc}")
    out.put((reads, errors))


def strays(folder: Path) -> list[str]:
    """Entries but one published generation and the two lock files (and old-layout swap folders)."""
    entries = sorted(p.name for p in folder.iterdir())
    generations = [e for e in entries if e.startswith("gen-")]
    others = [e for e in entries if not e.startswith("gen-") and e not in {BUILD_LOCK, READ_LOCK}]
    swaps = [p.name for p in folder.parent.iterdir() if p.name.endswith((".tmp", ".old"))]
    return generations[1:] + others + swaps


def test_processes_rebuilding_while_the_generation_changes_never_fail(tmp_path: Path) -> None:
    folder = tmp_path / "bm25" / "newsbrief"
    current = generation_file(folder)
    current.parent.mkdir(parents=True)
    current.write_text("g0")
    context = multiprocessing.get_context("spawn")
    ready, stop, out = context.Semaphore(0), context.Event(), context.Queue()
    workers = [context.Process(target=_hammer, args=(str(folder), ready, stop, out)) for _ in range(PROCESSES)]
    for worker in workers:
        worker.start()
    try:
        for _ in workers:
            assert ready.acquire(timeout=120), "a reader process did not start"
        for n in range(1, 300):  # a new generation every 20 ms, as a busy ingest would make
            time.sleep(0.02)
            tmp = current.with_suffix(".tmp")
            tmp.write_text(f"g{n}")
            tmp.replace(current)
        stop.set()
        results = [out.get(timeout=120) for _ in workers]
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=60)
            if worker.is_alive():
                worker.kill()
    errors = [error for _, errs in results for error in errs]
    assert not errors, errors[:5]
    assert all(reads > 0 for reads, _ in results), results
    # The last publisher left one generation; the next reader of the current one finds it or builds it.
    final = Bm25Files(folder).get(current.read_text(), current.read_text, tiny_index)
    assert final.generation == current.read_text()
    assert strays(folder) == [], sorted(p.name for p in folder.iterdir())


def test_a_killed_builder_and_the_old_layout_leave_nothing_behind(tmp_path: Path) -> None:
    folder = tmp_path / "bm25" / "newsbrief"
    (folder / ".build-dead1234").mkdir(parents=True)  # a builder killed half-way
    (folder / ".build-dead1234" / "manifest.json").write_text("{")
    (folder / "index").mkdir()  # the single-folder layout of before
    (folder / "manifest.json").write_text("{}")
    (folder.parent / "newsbrief.1a2b3c4d.tmp").mkdir()
    (folder.parent / "newsbrief.5e6f7a8b.old").mkdir()
    (folder.parent / "other-collection").mkdir()  # not ours: kept
    files = Bm25Files(folder)
    assert files.load("g1") is None
    index = files.get("g1", lambda: "g1", tiny_index)
    assert index.generation == "g1"
    assert strays(folder) == [], sorted(p.name for p in folder.iterdir())
    assert sorted(p.name for p in folder.parent.iterdir()) == ["newsbrief", "other-collection"]
    loaded = files.load("g1")
    assert loaded is not None and loaded.chunk_ids == index.chunk_ids
    assert loaded.search("ferry", 3, None, None)[0][0] == "g1:0"


def test_waiting_processes_load_what_one_built(tmp_path: Path) -> None:
    """Under the build lock, a waiter reads the generation again and loads instead of building."""
    folder = tmp_path / "bm25" / "newsbrief"
    files = Bm25Files(folder)
    files.get("g1", lambda: "g1", tiny_index)
    built: list[str] = []

    def build(generation: str) -> Bm25Index:
        built.append(generation)
        return tiny_index(generation)

    # Asked for a stale generation whose folder is gone: the current one is found and loaded.
    assert files.get("g0", lambda: "g1", build).generation == "g1"
    assert built == []


def _read_store(home: str, rounds: int, barrier, out) -> None:
    from rag.settings import load_settings
    from rag.store import open_store

    store = open_store(load_settings(home=Path(home)))
    errors = []
    for _ in range(rounds):
        barrier.wait()
        try:
            index = store.bm25()
            if len(index.chunk_ids) != store.count_chunks() or index.generation != store.generation:
                errors.append(f"stale or partial index: {len(index.chunk_ids)} chunks, {index.generation}")
            if not store.bm25_search("harbour bridge", 3, None, None):
                errors.append("BM25 finds nothing")
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
        barrier.wait()
    out.put(errors)


@pytest.fixture
def small_store(tmp_path: Path):
    from rag.index import ingest_paths
    from rag.settings import load_settings
    from rag.store import open_store

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for n in range(4):
        (corpus / f"story-{n}.txt").write_text(
            f"Harbour bridge story {n}\nGazette\n2021-05-0{n + 1}\n\n"
            f"The harbour bridge opened on day {n}, the council said. Traffic was light on route {n}.\n"
        )
    settings = load_settings(home=tmp_path / "store")
    assert ingest_paths([corpus], settings).failed == 0
    return open_store(settings)


def test_store_processes_rebuild_at_once_after_each_new_generation(small_store) -> None:
    rounds = 6
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(4, timeout=180)
    out = context.Queue()
    home = str(small_store.settings.home)
    workers = [context.Process(target=_read_store, args=(home, rounds, barrier, out)) for _ in range(3)]
    for worker in workers:
        worker.start()
    try:
        for _ in range(rounds):
            small_store.mark_changed()
            barrier.wait()
            barrier.wait()
        errors = [e for _ in workers for e in out.get(timeout=120)]
    finally:
        for worker in workers:
            worker.join(timeout=60)
            if worker.is_alive():
                worker.kill()
    assert not errors, errors[:5]
    assert strays(small_store.settings.home / "bm25" / "newsbrief") == []


def test_threads_share_one_build(small_store, monkeypatch: pytest.MonkeyPatch) -> None:
    small_store.mark_changed()
    built: list[str] = []
    real_build = small_store._build_bm25

    def counting_build(generation: str) -> Bm25Index:
        built.append(generation)
        time.sleep(0.2)
        return real_build(generation)

    monkeypatch.setattr(small_store, "_build_bm25", counting_build)
    got: list[Bm25Index] = []
    threads = [threading.Thread(target=lambda: got.append(small_store.bm25())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(built) == 1 and len(got) == 8
    assert len({id(index) for index in got}) == 1


def dense_hits(store, k: int = 50, **kwargs) -> list[str]:
    from rag.embed import embedder_for

    vector = embedder_for(store.settings).embed(["harbour bridge council"])[0].tolist()
    pairs = store.vectorstore.similarity_search_by_vector_with_relevance_scores(vector, k=k, **kwargs)
    return [doc.id for doc, _ in pairs]


def test_a_long_lived_store_sees_what_another_process_ingested(small_store, tmp_path: Path) -> None:
    """Chroma's embedded mode keeps a process's vector index in memory: without reopening, the
    app would miss these chunks in dense search and fail a filtered one ("Error finding id")."""
    before = dense_hits(small_store)
    more = tmp_path / "more"
    more.mkdir()
    for n in range(3):
        (more / f"late-{n}.txt").write_text(
            f"Ferry timetable {n}\nGazette\n2021-06-0{n + 1}\n\nThe harbour ferry timetable changed on route {n}, "
            "the council said on Monday after a long meeting.\n"
        )
    home = str(small_store.settings.home)
    done = subprocess.run([sys.executable, "-m", "rag", "--store", home, "ingest", str(more), "-q"], timeout=300)
    assert done.returncode == 0
    after = dense_hits(small_store)
    assert len(after) == small_store.count_chunks() > len(before)
    filtered = dense_hits(small_store, filter={"day": {"$gte": 0}})  # Chroma's own filter: the failing case
    assert len(filtered) == len(after)


def test_a_search_that_ran_into_another_process_writes_is_tried_again(small_store) -> None:
    from chromadb.errors import InternalError

    views: list[object] = []

    def search(view: object) -> str:
        views.append(view)
        if len(views) == 1:
            raise InternalError("Error executing plan: Internal error: Error finding id")
        return "found"

    assert small_store.search_fresh(search) == "found"
    assert len(views) == 2 and views[0] is not views[1]  # the second try ran on a reopened view

    def broken(view: object) -> str:
        raise InternalError("Error executing plan: something else")

    with pytest.raises(InternalError, match="something else"):
        small_store.search_fresh(broken)  # other errors are not retried
