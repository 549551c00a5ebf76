"""Ingest orchestration, one straight line per article: parse (rag/ingest/) → identify
(rag/identify.py: id, content hash, near-duplicate decision) → chunk → embed → write, under the
store's ingest lock, idempotent by content hash."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TextIO

from rag.chunk import chunk_article, embedded_text
from rag.dedup import Duplicate, decode_duplicates
from rag.embed import Embedder, embedder_for
from rag.fetch import FetchOptions, is_http_url
from rag.identify import Identified, Kept, identify
from rag.ingest import SUPPORTED_SUFFIXES, IngestError, ParseError, iter_files, parse_file, parse_url, url_id
from rag.settings import Settings
from rag.store import Store, open_store, release_freed_memory
from rag.types import Article, Chunk

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
    return [
        str(meta["article_id"])
        for meta in stored
        if meta.get("article_id") is not None and _gone(str(meta.get("path") or ""), live_roots)
    ]


def _gone(raw_path: str, live_roots: list[Path]) -> bool:
    if not raw_path or not live_roots or "://" in raw_path:  # fetched from a URL: not a file to check
        return False
    path = Path(raw_path).resolve()
    return any(_within(path, root) for root in live_roots) and not path.exists()


def stale_links(stored: list[dict[str, Any]], roots: list[Path]) -> dict[str, list[Duplicate]]:
    """Canonical article id → its near-duplicate links that remain, for those that lost a copy
    whose file under ``roots`` was deleted (same rules as :func:`stale_articles`)."""
    live_roots = [r.resolve() for r in roots if r.exists()]
    changed: dict[str, list[Duplicate]] = {}
    for meta in stored:
        links = decode_duplicates(meta.get("duplicates"))
        kept = [d for d in links if not _gone(d.path, live_roots)]
        if len(kept) < len(links):
            changed[str(meta["article_id"])] = kept
    return changed


@dataclass
class IngestReport:
    added: int = 0
    updated: int = 0
    skipped: int = 0
    failed: int = 0
    chunks: int = 0
    pruned: int | None = None  # None: pruning was not asked for
    duplicates: int = 0  # near-duplicate copies linked to an article already stored (not embedded)
    unchanged_entries: int = 0  # feed entries whose stored page was kept without fetching it again
    errors: list[IngestError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"added {self.added}, updated {self.updated}, skipped {self.skipped} (unchanged), "
            f"failed {self.failed}; {self.chunks} {'chunk' if self.chunks == 1 else 'chunks'} written"
            + (f"; {self.duplicates} near-duplicates linked to stories already stored" if self.duplicates else "")
            + (f"; pruned {self.pruned}" if self.pruned is not None else "")
        )


def parse_paths(
    sources: Iterable[Path | str],
    settings: Settings,
    report: IngestReport,
    progress: Progress | None = None,
    store: Store | None = None,
) -> list[Article | Kept]:
    """Stage 1, parse: every article from the files, folders and http(s) URLs given, in order,
    and the feed entries whose stored article stays as it is (with ``store``, those are not
    fetched again). Failures and warnings go to ``report``."""
    items: list[Article | Kept] = []
    options = FetchOptions.from_settings(settings)
    if store is not None:
        options = replace(options, stored_entries=_stored_entries(store))
    sources = list(sources)
    paths = [Path(s) for s in sources if not is_http_url(str(s))]
    urls = [str(s) for s in sources if is_http_url(str(s))]
    files = list(iter_files(paths))
    ignored = _unsupported_in_folders(paths)
    if ignored:
        kinds = ", ".join(sorted({p.suffix.lower() or "(no suffix)" for p in ignored}))
        report.warnings.append(f"ignored {len(ignored)} file(s) of unsupported types in the folders given ({kinds})")
    for done, path in enumerate(files, start=1):
        if progress and (done % 50 == 0 or done == len(files)):
            progress("reading files", done, len(files))
        try:
            if not path.exists():
                raise ParseError("no such file or folder")
            articles, errors = parse_file(path, settings.max_file_bytes, options)
        except ParseError as exc:
            report.errors.append(IngestError(str(path), str(exc)))
            continue
        except OSError as exc:
            report.errors.append(IngestError(str(path), f"cannot read: {exc.strerror or exc}"))
            continue
        except Exception as exc:
            report.errors.append(IngestError(str(path), f"could not parse ({type(exc).__name__}: {exc})"))
            continue
        items += _noted(report, errors) + articles
    for done, url in enumerate(urls, start=1):
        if progress:
            progress("fetching URLs", done, len(urls))
        articles, errors = parse_url(url, options)  # never raises: failures come back as errors
        items += _noted(report, errors) + articles
    return items


def _stored_entries(store: Store) -> Callable[[Sequence[str]], dict[str, str]]:
    """Links → the feed-entry fingerprint their stored article was fetched for."""

    def lookup(links: Sequence[str]) -> dict[str, str]:
        link_of = {url_id(link): link for link in links}
        return {link_of[article_id]: entry for article_id, entry in store.feed_entries(list(link_of)).items()}

    return lookup


def markers_by_id(markers: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {str(m["article_id"]): m for m in markers}


def _unsupported_in_folders(paths: list[Path]) -> list[Path]:
    """Visible files inside the given folders that no parser reads (said once, not silently skipped)."""
    found = []
    for folder in (p for p in paths if p.is_dir()):
        for child in folder.rglob("*"):
            rel = child.relative_to(folder)
            hidden = any(part.startswith(".") for part in rel.parts)
            paperwork = child.name.upper().startswith(("NOTICE", "LICENSE", "README", "ATTRIBUTION", "COPYING"))
            if child.is_file() and not hidden and not paperwork and child.suffix.lower() not in SUPPORTED_SUFFIXES:
                found.append(child)
    return found


def _noted(report: IngestReport, errors: list[IngestError]) -> list[Kept]:
    """Failures go to the report's errors, warnings (the article was still stored) to its
    warnings; feed entries stored unchanged come back as :class:`Kept` (counted as skipped)."""
    report.errors.extend(e for e in errors if not e.warning and not e.unchanged)
    report.warnings.extend(str(e) for e in errors if e.warning)
    return [Kept(e.article_id, e.path) for e in errors if e.unchanged]


def ingest_paths(
    paths: Iterable[Path | str],
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
    ``paths`` may also hold http(s) URLs of pages or feeds (fetched with a timeout and a size cap).
    """
    paths = list(paths)
    with ingest_lock(settings, wait_seconds):
        return _ingest_locked(paths, settings, progress, group_size, prune)


def _ingest_locked(
    paths: list[Path | str], settings: Settings, progress: Progress | None, group_size: int, prune: bool
) -> IngestReport:
    """One straight line: parse → (prune) → identify → chunk → embed → write."""
    report = IngestReport()
    store = open_store(settings)
    items = parse_paths(paths, settings, report, progress, store)
    if prune:
        report.pruned = _prune(store, [Path(p) for p in paths if not is_http_url(str(p))])
    found = identify(items, store, settings)
    report.errors += found.tally.errors
    report.warnings += found.tally.warnings
    report.failed = len(report.errors)
    report.skipped, report.duplicates = found.tally.skipped, found.tally.duplicates
    report.unchanged_entries = found.tally.unchanged_entries
    _write(found, store, settings, report, progress, group_size)
    return report


def _prune(store: Store, roots: list[Path]) -> int:
    """Delete articles (and near-duplicate links) whose file under ``roots`` was deleted; how many."""
    markers = store.list_articles()
    gone = stale_articles(markers, roots)
    if gone:
        # New generation first, as below: a run that dies mid-prune still forces BM25 rebuilds.
        store.mark_changed()
    for article_id in gone:
        store.delete_article(article_id)
    by_id = markers_by_id(markers)
    lost = 0
    for article_id, links in stale_links(markers, roots).items():
        if article_id not in gone:
            store.mark_changed()  # the BM25 twin keeps each article's copy sources
            meta = by_id[article_id]
            lost += len(decode_duplicates(meta.get("duplicates"))) - len(links)
            store.set_duplicates(article_id, int(meta.get("n_chunks", 1)), links)
    return len(gone) + lost


Chunked = list[tuple[Article, list[Chunk]]]


def embedded_groups(
    groups: Sequence[Sequence[Article]], embedder: Embedder, settings: Settings
) -> Iterator[tuple[Chunked, Any]]:
    """Each group's articles with their chunks, and the chunks' vectors, in order. The next group is
    chunked and embedded in a background thread while the caller writes this one, so the model
    never waits for Chroma (the writes stay in the caller's thread, in order)."""

    def prepare(group: Sequence[Article]) -> tuple[Chunked, Any]:
        chunked = [(a, chunk_article(a, settings.chunk_tokens)) for a in group]
        texts = [embedded_text(c, settings.embed_header) for _, chunks in chunked for c in chunks]
        return chunked, embedder.embed(texts)

    if not groups:
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-embed") as background:
        pending = background.submit(prepare, groups[0])
        for following in [*groups[1:], None]:
            ready = pending.result()
            if following is not None:
                pending = background.submit(prepare, following)
            yield ready


def _write(
    found: Identified,
    store: Store,
    settings: Settings,
    report: IngestReport,
    progress: Progress | None,
    group_size: int,
) -> None:
    """Stages chunk → embed → write, after the identify stage's deletions and link updates.

    Deletions and links go first: a run killed later redoes only the embedding; one killed here
    finds the same copies again on the next run (their link is not on the marker yet). Each
    article is written whole, its commit marker last (see rag/store.py).
    """
    store.set_feed_entries(found.feed_entries)
    plan = found.plan
    if found.retire or (plan and plan.changed):
        store.mark_changed()
    for article_id in found.retire:
        store.delete_article(article_id)
    if plan:
        to_write = {a.id for a in found.todo}
        for canonical in sorted(plan.changed - to_write - set(found.retire)):
            if canonical in plan.n_chunks:
                store.set_duplicates(canonical, plan.n_chunks[canonical], plan.links.get(canonical, []))
    if not found.todo:
        if report.pruned or found.retire:
            store.mark_changed()
            if settings.hybrid:
                store.bm25()
        return
    total = len(found.todo)
    # A new generation before writing: if this run dies half-way, every reader still rebuilds
    # its BM25 index from what is really stored.
    store.mark_changed()
    groups = [found.todo[begin : begin + group_size] for begin in range(0, total, group_size)]
    done = 0
    for chunked, vectors in embedded_groups(groups, embedder_for(settings), settings):
        offset = 0
        for article, chunks in chunked:
            links = plan.links.get(article.id, []) if plan else []
            minhash = plan.signatures.get(article.id, "") if plan else ""
            store.write_article(article, chunks, vectors[offset : offset + len(chunks)], links, minhash)
            offset += len(chunks)
            report.chunks += len(chunks)
            if article.id in found.stored_ids:
                report.updated += 1
            else:
                report.added += 1
        release_freed_memory()
        done += len(chunked)
        if progress:
            progress("embedding", done, total)
    store.mark_changed()
    if settings.hybrid:
        store.bm25()  # build now, not on the first question
