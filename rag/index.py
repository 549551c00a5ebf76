"""Ingest orchestration: files → articles → chunks → vectors → store, idempotent by content hash."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from rag.chunk import chunk_article
from rag.embed import get_embedder
from rag.ingest import IngestError, ParseError, iter_files, parse_file
from rag.settings import Settings
from rag.store import open_store
from rag.types import Article

Progress = Callable[[str, int, int], None]  # (stage, done, total)

LOCK_NAME = "ingest.lock"


class IngestBusy(RuntimeError):
    """Another ingest holds this store's lock; the message names the lock file and its PID."""

    def __init__(self, lock_path: Path, pid: str, waited: float) -> None:
        self.lock_path = lock_path
        self.pid = pid
        who = f"PID {pid}" if pid else "an unknown process"
        waited_note = f" (waited {waited:g}s)" if waited > 0 else ""
        super().__init__(
            f"another ingest is running on this store{waited_note}: {lock_path} is held by {who}; "
            "try again when it has finished"
        )


def _read_pid(handle: TextIO) -> str:
    handle.seek(0)
    return handle.read(32).strip()


@contextmanager
def ingest_lock(settings: Settings, wait_seconds: float = 0.0) -> Iterator[Path]:
    """Hold ``home/ingest.lock`` exclusively so two ingests cannot interleave writes and generations.

    Non-blocking first, then polls for up to ``wait_seconds`` before raising :class:`IngestBusy`.
    ``flock`` is per machine: with a Chroma server (``settings.chroma_url``) shared by several machines,
    ingests started on different machines are NOT kept apart by this lock.
    The file is never deleted (unlinking a flocked file lets a third process lock a fresh inode).
    """
    settings.home.mkdir(parents=True, exist_ok=True)
    lock_path = settings.home / LOCK_NAME
    # "a+" so a waiting process never truncates the holder's PID before it owns the lock.
    with open(lock_path, "a+", encoding="utf-8") as handle:
        deadline = time.monotonic() + max(0.0, wait_seconds)
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise IngestBusy(lock_path, _read_pid(handle), wait_seconds) from None
                time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(f"{os.getpid()}\n")
            handle.flush()
            yield lock_path
        finally:
            handle.seek(0)
            handle.truncate()
            handle.flush()
            fcntl.flock(handle, fcntl.LOCK_UN)


def _within(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def stale_articles(stored: list[dict[str, Any]], roots: list[Path]) -> list[str]:
    """Ids of stored articles whose source file lies under one of ``roots`` but no longer exists.

    A root that does not exist prunes nothing (a typo or an unmounted drive must not empty the store);
    articles without a path, or outside every root, are never stale. Relative paths resolve against
    the current folder, as the roots given on the command line do.
    """
    live_roots = [r.resolve() for r in roots if r.exists()]
    if not live_roots:
        return []
    stale: list[str] = []
    for meta in stored:
        raw = str(meta.get("path") or "")
        article_id = meta.get("article_id")
        if not raw or article_id is None:
            continue
        path = Path(raw).resolve()
        if any(_within(path, root) for root in live_roots) and not path.exists():
            stale.append(str(article_id))
    return stale


@dataclass
class IngestReport:
    added: int = 0
    updated: int = 0
    skipped: int = 0
    failed: int = 0
    chunks: int = 0
    pruned: int | None = None  # None: pruning was not asked for
    errors: list[IngestError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"added {self.added}, updated {self.updated}, skipped {self.skipped} (unchanged), "
            f"failed {self.failed}; {self.chunks} chunks written"
            + (f"; pruned {self.pruned}" if self.pruned is not None else "")
        )


def parse_paths(paths: Iterable[Path], settings: Settings, report: IngestReport) -> list[Article]:
    """Every article under ``paths``; a later article with the same id replaces an earlier one."""
    by_id: dict[str, Article] = {}
    for path in iter_files(paths):
        try:
            if not path.exists():
                raise ParseError("no such file or folder")
            articles, errors = parse_file(path, settings.max_file_bytes)
        except ParseError as exc:
            report.errors.append(IngestError(str(path), str(exc)))
            continue
        except OSError as exc:
            report.errors.append(IngestError(str(path), f"cannot read: {exc.strerror or exc}"))
            continue
        except Exception as exc:
            report.errors.append(IngestError(str(path), f"could not parse ({type(exc).__name__}: {exc})"))
            continue
        report.errors.extend(errors)
        for article in articles:
            if article.id in by_id and by_id[article.id].path != article.path:
                earlier = by_id[article.id].path
                report.warnings.append(f"{article.path}: id {article.id!r} also in {earlier}; kept this one")
            by_id[article.id] = article
    report.failed = len(report.errors)
    return list(by_id.values())


def ingest_paths(
    paths: Iterable[Path],
    settings: Settings,
    progress: Progress | None = None,
    group_size: int = 64,
    *,
    prune: bool = False,
    wait_seconds: float = 0.0,
) -> IngestReport:
    """Parse, skip unchanged, and (re)index the rest in groups so memory stays flat.

    Runs under :func:`ingest_lock` (raises :class:`IngestBusy` if another ingest holds it after
    ``wait_seconds``). With ``prune``, articles whose file under ``paths`` was deleted are removed.
    """
    paths = list(paths)
    with ingest_lock(settings, wait_seconds):
        return _ingest_locked(paths, settings, progress, group_size, prune)


def _ingest_locked(
    paths: list[Path], settings: Settings, progress: Progress | None, group_size: int, prune: bool
) -> IngestReport:
    report = IngestReport()
    articles = parse_paths(paths, settings, report)
    store = open_store(settings)
    if prune:
        gone = stale_articles(store.list_articles(), paths)
        if gone:
            # New generation first, as below: a run that dies mid-prune still forces BM25 rebuilds.
            store.mark_changed()
        for article_id in gone:
            store.delete_article(article_id)
        report.pruned = len(gone)
    stored = store.stored_versions([a.id for a in articles])
    todo = [a for a in articles if stored.get(a.id) != store.version_of(a)]
    report.skipped = len(articles) - len(todo)
    if not todo:
        if report.pruned:
            store.mark_changed()
            if settings.hybrid:
                store.bm25()
        return report
    embedder = get_embedder(settings.embed_max_tokens, settings.embed_batch)
    total = len(todo)
    # A new generation before writing: if this run dies half-way, every reader still rebuilds
    # its BM25 index from what is really stored.
    store.mark_changed()
    for begin in range(0, total, group_size):
        group = todo[begin : begin + group_size]
        chunked = [(a, chunk_article(a, settings.chunk_tokens)) for a in group]
        texts = [c.indexed_text for _, chunks in chunked for c in chunks]
        vectors = embedder.embed(texts)
        offset = 0
        for article, chunks in chunked:
            store.write_article(article, chunks, vectors[offset : offset + len(chunks)])
            offset += len(chunks)
            report.chunks += len(chunks)
            if article.id in stored:
                report.updated += 1
            else:
                report.added += 1
        if progress:
            progress("embedding", min(begin + group_size, total), total)
    store.mark_changed()
    if settings.hybrid:
        store.bm25()  # build now, not on the first question
    return report
