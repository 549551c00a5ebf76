"""Chroma (embedded or server) plus a BM25 index, kept in step. The only module that does storage I/O.

Layout of one article in the ``newsbrief`` collection: chunks ``{article_id}:{i}``, each holding
its text as the document and the article's metadata. Chunk ``:0`` is written last and carries the
article's content hash, so it doubles as the commit marker: an article whose ``:0`` is missing
or stale is (re)written whole on the next ingest.

Near-duplicates (rag/dedup.py) are not stored as chunks: they are links in the ``duplicates``
metadata of their canonical article's chunks, marker last, so a killed update is redone.
The marker also carries the article's MinHash and, for a page fetched for a feed entry, that
entry's fingerprint (``feed_entry``, updated in place when a re-fetched page proved unchanged).
"""

from __future__ import annotations

import ctypes
import fcntl
import json
import os
import re
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import date
from functools import cached_property, lru_cache
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np

from rag.dedup import Duplicate, decode_duplicates, encode_duplicates
from rag.embed import MiniLMEmbeddingFunction, vector_format
from rag.settings import Settings
from rag.types import Article, Chunk, Evidence

UNKNOWN_DAY = 99_999_999  # articles without a date never pass an as-of filter


def day_number(iso: str) -> int:
    """ISO date → days since 0001-01-01 (an int Chroma can compare); unknown → UNKNOWN_DAY."""
    try:
        return date.fromisoformat(iso[:10]).toordinal()
    except (ValueError, TypeError):
        return UNKNOWN_DAY


def day_of(as_of: str) -> int:
    """A user's as-of date → day number; a bad date is an error, never "no filter"."""
    try:
        return date.fromisoformat(as_of).toordinal()
    except (ValueError, TypeError) as exc:
        raise ValueError(f"not a date (YYYY-MM-DD): {as_of!r}") from exc


def chunk_metadata(
    article: Article,
    chunk: Chunk,
    n_chunks: int,
    chunk_tokens: int,
    duplicates: Sequence[Duplicate] = (),
    minhash: str = "",
    index_format: str = "",
) -> dict[str, Any]:
    """Metadata of one chunk. Every chunk carries the article's near-duplicate links (so evidence
    can say "also reported by"); the commit marker (chunk 0) also carries its MinHash signature
    and how its chunks were embedded (``index_format``, part of the article's version)."""
    meta: dict[str, Any] = {
        "article_id": article.id,
        "index": chunk.index,
        "n_chunks": n_chunks,
        "title": article.title,
        "source": article.source,
        "source_key": article.source.lower(),
        "published_at": article.published_at,
        "day": day_number(article.published_at),
        "url": article.url,
        "start": chunk.start,
        "end": chunk.end,
        "header": chunk.header,
        "content_hash": article.content_hash,
        "chunk_tokens": chunk_tokens,
        "path": article.path,
        "date_from": article.date_from,
        "byline": article.byline,
        "duplicates": encode_duplicates(duplicates),
    }
    if chunk.index == 0 and minhash:
        meta["minhash"] = minhash
    if chunk.index == 0 and index_format:
        meta["index_format"] = index_format
    if chunk.index == 0 and article.feed_entry:
        meta["feed_entry"] = article.feed_entry
    if article.provenance:
        meta["provenance"] = article.provenance
    return meta


def evidence_from(chunk_id: str, text: str, meta: dict[str, Any], score: float, why: str) -> Evidence:
    return Evidence(
        chunk_id=chunk_id,
        article_id=str(meta["article_id"]),
        title=str(meta.get("title", "")),
        source=str(meta.get("source", "")),
        published_at=str(meta.get("published_at", "")),
        url=str(meta.get("url", "")),
        text=text,
        start=int(meta["start"]),
        end=int(meta["end"]),
        score=float(score),
        why=why,
        date_from=str(meta.get("date_from", "")),
        provenance=str(meta.get("provenance", "")),
        **_duplicate_fields(meta),
    )


def copy_sources_key(meta: dict[str, Any]) -> str:
    """``"|cnn|reuters|"``: the lower-cased sources of a chunk's linked copies ("" when none)."""
    sources = {d.source.lower() for d in decode_duplicates(meta.get("duplicates")) if d.source}
    return f"|{'|'.join(sorted(sources))}|" if sources else ""


def _duplicate_fields(meta: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    duplicates = decode_duplicates(meta.get("duplicates"))
    if not duplicates:
        return {}
    own = str(meta.get("source", "")).lower()
    # An uploaded copy says so: an upload must not pass itself off as another outlet's confirmation.
    sources = dict.fromkeys(
        f"{d.source} ({d.provenance})" if d.provenance else d.source
        for d in duplicates
        if d.source and (d.source.lower() != own or d.provenance)
    )
    return {"also_reported_by": tuple(sources), "duplicate_ids": tuple(d.id for d in duplicates)}


class PackedTokens(Sequence[list[int]]):
    """Every chunk's token ids in one int32 array, ``offsets`` marking where each chunk starts:
    bm25s reads a corpus three times, one chunk at a time, so a list per chunk is made only then."""

    def __init__(self, flat: np.ndarray, offsets: np.ndarray) -> None:
        self.flat, self.offsets = flat, offsets

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, row: int | slice) -> Any:
        if isinstance(row, slice):
            return [self[n] for n in range(len(self))[row]]
        row = range(len(self))[row]  # a negative row counts from the end; past the end is an IndexError
        return self.flat[self.offsets[row] : self.offsets[row + 1]].tolist()

    def __iter__(self) -> Iterator[list[int]]:
        for start, end in zip(self.offsets[:-1], self.offsets[1:], strict=True):
            yield self.flat[start:end].tolist()


@dataclass
class Bm25Index:
    """bm25s over chunk header + text, with the metadata the filters need kept beside it."""

    retriever: Any
    chunk_ids: list[str]
    days: np.ndarray
    sources: np.ndarray
    generation: str
    also: np.ndarray | None = None  # "|cnn|reuters|": sources of the article's near-duplicate copies

    def source_mask(self, source: str) -> np.ndarray:
        """Chunks from ``source``, or whose article was also carried by it (a linked copy)."""
        key = source.lower()
        mask = self.sources == key
        if self.also is not None and len(self.also):
            mask |= np.char.find(self.also.astype(str), f"|{key}|") >= 0
        return mask

    def admitted(self, max_day: int | None, min_day: int | None = None, source: str | None = None) -> np.ndarray:
        """Which chunks (by row) pass the date window and source filter."""
        mask = np.ones(len(self.chunk_ids), dtype=bool)
        if max_day is not None:
            mask &= self.days <= max_day
        if min_day is not None:
            mask &= self.days >= min_day
        if source:
            mask &= self.source_mask(source)
        return mask

    @cached_property
    def rows(self) -> dict[str, int]:
        """Chunk id → row of the filter columns."""
        return {chunk_id: row for row, chunk_id in enumerate(self.chunk_ids)}

    def search(
        self, query: str, k: int, max_day: int | None, source: str | None, min_day: int | None = None
    ) -> list[tuple[str, float]]:
        import bm25s

        tokens = bm25s.tokenize([query], stopwords="en", show_progress=False)
        if not tokens.vocab or not self.chunk_ids:
            return []
        mask = self.admitted(max_day, min_day, source).astype(np.float32)
        k = min(k, len(self.chunk_ids))
        docs, scores = self.retriever.retrieve(tokens, k=k, show_progress=False, weight_mask=mask, n_threads=1)
        return [(self.chunk_ids[int(d)], float(s)) for d, s in zip(docs[0], scores[0], strict=True) if s > 0]

    def save(self, folder: Path) -> None:
        """``folder/manifest.json`` (generation, chunk ids and filter columns) and ``folder/index/``."""
        if self.retriever is not None:
            self.retriever.save(str(folder / "index"), show_progress=False)
        also = self.also.tolist() if self.also is not None else [""] * len(self.chunk_ids)
        manifest = {
            "generation": self.generation,
            "chunk_ids": self.chunk_ids,
            "days": self.days.tolist(),
            "sources": self.sources.tolist(),
            "also": also,
        }
        (folder / "manifest.json").write_text(json.dumps(manifest))

    @classmethod
    def load(cls, folder: Path) -> Bm25Index:
        import bm25s

        manifest = json.loads((folder / "manifest.json").read_text())
        ids = manifest["chunk_ids"]
        retriever = bm25s.BM25.load(str(folder / "index"), mmap=False, show_progress=False) if ids else None
        return cls(
            retriever,
            ids,
            np.array(manifest["days"], dtype=np.int64),
            np.array(manifest["sources"], dtype=object),
            manifest["generation"],
            np.array(manifest.get("also") or [""] * len(ids), dtype=object),
        )


def release_freed_memory() -> None:
    """Hand memory freed by the last group (or page) back to the OS: glibc otherwise keeps it in its arenas
    (about 60 MB after a group here), and a long ingest's resident size creeps up. A no-op off glibc."""
    with suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


BUILD_LOCK = ".build.lock"  # held by the one process building an index; the others wait, then load it
READ_LOCK = ".read.lock"  # shared while an index is read, exclusive while old ones are removed
_OLD_SWAP_FOLDER = re.compile(r".+\.[0-9a-f]{8}\.(tmp|old)")  # left by the single-folder layout before generations


@contextmanager
def _flock(path: Path, exclusive: bool) -> Iterator[None]:
    """An advisory ``flock`` on ``path``; the file is never deleted (see ``rag.index.ingest_lock``)."""
    with open(path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class Bm25Files:
    """The on-disk BM25 indexes of one collection: a folder per store generation, never changed once
    published, so a reader loads a whole index or finds none.

    An index is built by one process at a time (the others wait on the build lock, then load it), in
    a private ``.build-*`` folder that one atomic rename publishes as ``gen-<generation>/``. Before
    that, the publisher removes older generations and folders of killed builders, holding the read
    lock exclusively so no reader is half-way through one. Safe for any number of threads and
    processes on one machine (``flock`` is per machine; each machine keeps its own indexes).
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path_of(self, generation: str) -> Path:
        return self.folder / f"gen-{re.sub(r'[^A-Za-z0-9_-]', '_', generation)}"

    def get(self, generation: str, current: Callable[[], str], build: Callable[[str], Bm25Index]) -> Bm25Index:
        """The published index of ``generation``; else, under the build lock, that of ``current()``
        (read again: the store may have moved on while we waited), loaded or built and published."""
        index = self.load(generation)
        if index is not None:
            return index
        self.folder.mkdir(parents=True, exist_ok=True)
        with _flock(self.folder / BUILD_LOCK, exclusive=True):
            generation = current()
            index = self.load(generation)
            if index is None:
                index = build(generation)
                self._publish(index)
        return index

    def load(self, generation: str) -> Bm25Index | None:
        """The published index of ``generation``, or None."""
        if not self.folder.is_dir():
            return None
        with _flock(self.folder / READ_LOCK, exclusive=False):
            path = self.path_of(generation)
            return Bm25Index.load(path) if (path / "manifest.json").is_file() else None

    def _publish(self, index: Bm25Index) -> None:
        staging = Path(tempfile.mkdtemp(prefix=".build-", dir=self.folder))
        try:
            index.save(staging)
            self._prune(keep=staging.name)
            os.rename(staging, self.path_of(index.generation))
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise

    def _prune(self, keep: str) -> None:
        """Remove every index folder but ``keep`` (and swap folders of the old layout), no reader inside."""
        with _flock(self.folder / READ_LOCK, exclusive=True):
            for entry in self.folder.iterdir():
                if entry.name in {keep, BUILD_LOCK, READ_LOCK}:
                    continue
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)
            for entry in self.folder.parent.glob(f"{self.folder.name}.*"):
                if _OLD_SWAP_FOLDER.fullmatch(entry.name) and entry.is_dir():
                    shutil.rmtree(entry, ignore_errors=True)


class Store:
    """The chunk collection and its BM25 twin, in an embedded folder or on a Chroma server."""

    BM25_PAGE = 2000  # chunks read from Chroma per page while the BM25 index is built

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.embedding_function = MiniLMEmbeddingFunction(settings.embed_max_tokens, settings.embed_batch)
        self.client, self.collection = self._connect()
        self._reopen_guard = threading.Lock()
        self._seen_generation = self.generation  # what this process's view of the store holds
        self._bm25: Bm25Index | None = None
        self._bm25_guard = threading.Lock()
        self._bm25_files = Bm25Files(settings.home / "bm25" / settings.collection)
        self._vectorstore = None
        self._max_batch = max(1, self.client.get_max_batch_size() - 1)

    def _connect(self) -> tuple[Any, Any]:
        """A Chroma client (embedded folder or server) and the chunk collection."""
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        if self.settings.chroma_url:
            from urllib.parse import urlparse

            url = urlparse(self.settings.chroma_url)
            client = chromadb.HttpClient(
                host=url.hostname or "127.0.0.1",
                port=url.port or 8000,
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
        else:
            self.settings.chroma_path.mkdir(parents=True, exist_ok=True)
            client = chromadb.PersistentClient(path=str(self.settings.chroma_path), settings=chroma_settings)
        collection = client.get_or_create_collection(
            self.settings.collection,
            embedding_function=self.embedding_function,  # type: ignore[arg-type]
            configuration={"hnsw": {"space": "cosine"}},
        )
        return client, collection

    # ------------------------------------------------------------ another process's writes

    def sync(self) -> None:
        """Reopen the embedded store when another process has written to it since this one looked.

        Chroma's embedded mode keeps each process's vector index in memory: after another process
        (a CLI ingest, say) writes, a long-lived one (the app) would miss the new chunks in dense
        search, and a filtered search fails ("Error finding id"), until it reopens. A server is
        always current. Costs one metadata read when nothing changed.
        """
        if self.settings.chroma_url:
            return
        generation = self.generation
        if generation != self._seen_generation:
            self.reopen(generation)

    def current_collection(self) -> Any:
        """The collection, reopened first if another process has written since (see :meth:`sync`)."""
        self.sync()
        return self.collection

    def reopen(self, generation: str | None = None) -> None:
        """A fresh client on the embedded folder; the old one finishes what other threads do with it."""
        if self.settings.chroma_url:
            return
        from chromadb.api.shared_system_client import SharedSystemClient

        with self._reopen_guard:
            # Chroma shares one system per folder in a process: forget it, so the next client loads
            # the folder afresh (clients already made keep theirs until they are dropped).
            SharedSystemClient.clear_system_cache()
            self.client, self.collection = self._connect()
            self._vectorstore = None
            self._seen_generation = generation or self.generation

    def search_fresh(self, search: Callable[[Any], Any], view: Callable[[], Any] | None = None) -> Any:
        """``search(view())`` (LangChain's vectorstore by default), reopened and tried again when it
        ran into another process's writes (that process may still be writing: a short pause before
        each new try)."""
        for attempt in range(STALE_VIEW_RETRIES + 1):
            try:
                return search(view() if view else self.vectorstore)
            except Exception as exc:
                if attempt == STALE_VIEW_RETRIES or "Error finding id" not in str(exc):
                    raise
                time.sleep(0.05 * 2**attempt)
                self.reopen()
        raise AssertionError("unreachable")

    def nearest(self, vector: Sequence[float], k: int, among: Sequence[str] | None = None) -> list[tuple[str, float]]:
        """Ids and cosine distances of the ``k`` nearest chunks (only ``among`` these ids, if given).

        Distances only: fetching documents and metadata with the search costs ~10× the search, and
        restricting by ids costs ~15 ms where a ``where`` on the date cost ~150 ms at 50k chunks.
        """
        if among is not None and not among:
            return []
        limit = {"ids": list(among)} if among is not None else {}
        size = min(k, len(among)) if among is not None else k
        found = self.search_fresh(
            lambda collection: collection.query(
                query_embeddings=[list(vector)], n_results=size, include=["distances"], **limit
            ),
            view=self.current_collection,
        )
        return list(zip(found["ids"][0], (found["distances"] or [[]])[0], strict=True))

    # ------------------------------------------------------------ writes

    def version_of(self, article: Article) -> tuple[str, int, str]:
        """What must match for a stored article to be skipped: its content, how it was chunked and
        how its chunks were embedded (a store written before a change of either is re-embedded)."""
        return article.content_hash, self.settings.chunk_tokens, vector_format(self.settings)

    def stored_versions(self, article_ids: Sequence[str]) -> dict[str, tuple[str, int, str]]:
        """Version of each fully stored article among ``article_ids`` (see :meth:`version_of`)."""
        return {article_id: self.stored_version(meta) for article_id, meta in self.markers(article_ids).items()}

    @staticmethod
    def stored_version(marker: Mapping[str, Any]) -> tuple[str, int, str]:
        """The version (see :meth:`version_of`) a commit marker's metadata records ("" for the
        embedding of markers written before it was recorded: never the current one)."""
        default_tokens = Settings.model_fields["chunk_tokens"].default
        return (
            str(marker["content_hash"]),
            int(marker.get("chunk_tokens", default_tokens)),
            str(marker.get("index_format", "")),
        )

    def markers(self, article_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Commit-marker metadata (path, provenance, hash, …) of the fully stored ones among ``article_ids``."""
        return {str(meta["article_id"]): dict(meta) for meta in self._markers(article_ids)}

    def _markers(self, article_ids: Sequence[str]) -> Iterator[Mapping[str, Any]]:
        """Commit-marker metadata of those of ``article_ids`` that are fully stored, 500 ids a call."""
        for begin in range(0, len(article_ids), 500):
            ids = [f"{a}:0" for a in article_ids[begin : begin + 500]]
            yield from self.collection.get(ids=ids, include=["metadatas"])["metadatas"] or []

    def write_article(
        self,
        article: Article,
        chunks: Sequence[Chunk],
        vectors: np.ndarray,
        duplicates: Sequence[Duplicate] = (),
        minhash: str = "",
    ) -> None:
        """Replace an article's chunks; chunk 0 (the commit marker) goes in last."""
        self.delete_article(article.id)
        tokens = self.settings.chunk_tokens
        embedded = vector_format(self.settings)
        metas = [chunk_metadata(article, c, len(chunks), tokens, duplicates, minhash, embedded) for c in chunks]
        order = [*range(1, len(chunks)), 0]
        batch = self._max_batch
        for begin in range(0, len(order), batch):
            part = order[begin : begin + batch]
            self.collection.add(
                ids=[chunks[i].id for i in part],
                documents=[chunks[i].text for i in part],
                metadatas=[metas[i] for i in part],
                embeddings=[vectors[i] for i in part],
            )

    def set_duplicates(self, article_id: str, n_chunks: int, duplicates: Sequence[Duplicate]) -> None:
        """Replace the near-duplicate links of a stored article; the marker is updated last."""
        value = encode_duplicates(duplicates)
        ids = [f"{article_id}:{i}" for i in [*range(1, n_chunks), 0]]
        for begin in range(0, len(ids), self._max_batch):
            part = ids[begin : begin + self._max_batch]
            self.collection.update(ids=part, metadatas=[{"duplicates": value} for _ in part])

    def feed_entries(self, article_ids: Sequence[str]) -> dict[str, str]:
        """Article id → the feed-entry fingerprint its stored page was fetched for, for articles
        chunked as the settings say (else the page must be fetched and the article rewritten)."""
        return {
            str(meta["article_id"]): str(meta["feed_entry"])
            for meta in self._markers(article_ids)
            if meta.get("feed_entry")
            and meta.get("chunk_tokens") == self.settings.chunk_tokens
            and meta.get("index_format") == vector_format(self.settings)
        }

    def set_feed_entries(self, fingerprints: dict[str, str]) -> None:
        """Record on stored articles' markers the feed entry their (unchanged) page was fetched for."""
        ids = sorted(fingerprints)
        for begin in range(0, len(ids), self._max_batch):
            part = ids[begin : begin + self._max_batch]
            self.collection.update(
                ids=[f"{a}:0" for a in part], metadatas=[{"feed_entry": fingerprints[a]} for a in part]
            )

    def delete_article(self, article_id: str) -> None:
        self.collection.delete(where={"article_id": article_id})

    def mark_changed(self) -> None:
        """Record a new generation so every BM25 cache (here or on other machines) rebuilds."""
        meta = dict(self.collection.metadata or {})
        meta["generation"] = uuid.uuid4().hex
        meta.pop("hnsw:space", None)
        self.collection.modify(metadata=meta)
        self._seen_generation = meta["generation"]  # this process sees its own writes
        self._bm25 = None

    # ------------------------------------------------------------ reads

    def count_chunks(self) -> int:
        return self.collection.count()

    def get_all(
        self, include: list[str], where: dict[str, Any] | None = None, page: int = 5000
    ) -> tuple[list[str], list[str], list[dict[str, Any]]]:
        """Every matching record, fetched in pages (one big ``get`` overflows SQLite's variable limit)."""
        ids: list[str] = []
        documents: list[str] = []
        metadatas: list[dict[str, Any]] = []
        for got in self.pages(include, where, page):
            ids += got["ids"]
            documents += got.get("documents") or []
            metadatas += [dict(m) for m in got.get("metadatas") or []]
        return ids, documents, metadatas

    def pages(self, include: list[str], where: dict[str, Any] | None = None, page: int = 5000) -> Iterator[Any]:
        """The matching records one ``collection.get`` page at a time, for callers that keep only part."""
        offset = 0
        while True:
            got = self.collection.get(where=where, include=include, limit=page, offset=offset)  # type: ignore[arg-type]
            yield got
            offset += len(got["ids"])
            if len(got["ids"]) < page:
                return

    def list_articles(self) -> list[dict[str, Any]]:
        """Metadata of every stored article (from its commit-marker chunk)."""
        _, _, rows = self.get_all(include=["metadatas"], where={"index": 0})
        return sorted(rows, key=lambda m: (str(m.get("published_at", "")), str(m.get("title", ""))))

    def _evidence_where(self, where: dict[str, Any], why: str) -> list[Evidence]:
        ids, documents, metadatas = self.get_all(include=["documents", "metadatas"], where=where)
        return [evidence_from(i, d, m, 0.0, why) for i, d, m in zip(ids, documents, metadatas, strict=True)]

    def article_chunks(self, article_id: str) -> list[Evidence]:
        return sorted(self._evidence_where({"article_id": article_id}, "article"), key=lambda e: e.start)

    def chunks_between(self, first_day: int, last_day: int) -> list[Evidence]:
        where = {"$and": [{"day": {"$gte": first_day}}, {"day": {"$lte": last_day}}]}
        rows = self._evidence_where(where, "date")
        return sorted(rows, key=lambda e: (e.published_at, e.article_id, e.start))

    def get_chunks(self, chunk_ids: Iterable[str]) -> dict[str, tuple[str, dict[str, Any]]]:
        ids = list(dict.fromkeys(chunk_ids))
        if not ids:
            return {}
        got = self.collection.get(ids=ids, include=["documents", "metadatas"])
        return {
            i: (d, dict(m)) for i, d, m in zip(got["ids"], got["documents"] or [], got["metadatas"] or [], strict=True)
        }

    @property
    def vectorstore(self):
        """LangChain's view of the same collection, for the LCEL retrieval chain (current: see :meth:`sync`)."""
        self.sync()
        if self._vectorstore is None:
            from rag.embed import LangChainEmbeddings

            vectorstore = _fresh_chroma_type()(
                client=self.client,
                collection_name=self.settings.collection,
                embedding_function=LangChainEmbeddings(self.settings.embed_max_tokens, self.settings.embed_batch),
            )
            vectorstore.store = self
            self._vectorstore = vectorstore
        return self._vectorstore

    # ------------------------------------------------------------ BM25

    @property
    def generation(self) -> str:
        """Read fresh each time: another process (a CLI ingest, another app) may have written."""
        current = self.client.get_collection(self.settings.collection, embedding_function=self.embedding_function)
        return str((current.metadata or {}).get("generation", "none"))

    def bm25(self) -> Bm25Index:
        """The BM25 index of the current generation: kept in memory, else loaded from disk, else built
        from Chroma (by one process at a time, see :class:`Bm25Files`)."""
        generation = self.generation
        index = self._bm25
        if index is None or index.generation != generation:
            with self._bm25_guard:  # one thread of this process loads or builds it; the others reuse it
                index = self._bm25
                if index is None or index.generation != generation:
                    index = self._bm25_files.get(generation, lambda: self.generation, self._build_bm25)
                    self._bm25 = index
        return index

    def _build_bm25(self, generation: str) -> Bm25Index:
        import bm25s

        # Page by page, keeping only what the index needs: each page's texts are tokenised into one
        # shared vocabulary and dropped, the token ids packed as int32. Holding every text and a
        # Python list of ids per chunk was the ingest's peak memory (2.5 GB at 206k chunks).
        tokenizer = bm25s.tokenization.Tokenizer(stopwords="en")  # as ``bm25s.tokenize``, which queries use
        ids: list[str] = []
        days: list[int] = []
        sources: list[str] = []
        also: list[str] = []
        packed: list[np.ndarray] = []
        lengths: list[int] = []
        for got in self.pages(["documents", "metadatas"], page=self.BM25_PAGE):
            texts = []
            for chunk_id, text, meta in zip(got["ids"], got["documents"] or [], got["metadatas"] or [], strict=True):
                ids.append(chunk_id)
                texts.append(f"{meta.get('header', '')}\n{text}")
                days.append(int(meta.get("day", UNKNOWN_DAY)))
                sources.append(str(meta.get("source_key", meta.get("source", ""))).lower())
                also.append(copy_sources_key(dict(meta)))
            page_tokens = list(tokenizer.streaming_tokenize(texts, update_vocab=True, allow_empty=False))
            packed.append(np.fromiter(chain.from_iterable(page_tokens), dtype=np.int32))
            lengths += map(len, page_tokens)
            del got, texts, page_tokens
            release_freed_memory()  # else each page read from Chroma stays resident
        retriever = None
        if ids:
            docs = PackedTokens(np.concatenate(packed), np.cumsum([0, *lengths]))
            del packed
            release_freed_memory()
            retriever = bm25s.BM25(k1=0.9, b=0.4)
            tokens = bm25s.tokenization.Tokenized(ids=docs, vocab=tokenizer.get_vocab_dict())
            retriever.index(tokens, show_progress=False)
        return Bm25Index(
            retriever,
            ids,
            np.array(days, dtype=np.int64),
            np.array(sources, dtype=object),
            generation,
            np.array(also, dtype=object),
        )

    def sources(self) -> set[str]:
        """Every source in the store, lower-cased, including those of linked near-duplicate copies
        (read from the BM25 twin: no scan of Chroma)."""
        index = self.bm25()
        found = {str(s) for s in index.sources.tolist()}
        for key in set(index.also.tolist()) if index.also is not None else ():
            found |= {part for part in str(key).split("|") if part}
        return found

    def bm25_search(
        self, query: str, k: int, max_day: int | None, source: str | None, min_day: int | None = None
    ) -> list[tuple[str, float]]:
        index = self.bm25()
        if index.retriever is None:
            return []
        return index.search(query, k, max_day, source, min_day)


STALE_VIEW_RETRIES = 3  # a dense search that ran into another process's writes is reopened and tried again


@lru_cache(maxsize=1)
def _fresh_chroma_type() -> type:
    """LangChain's Chroma whose vector search goes through :meth:`Store.search_fresh`."""
    from langchain_chroma import Chroma

    class FreshChroma(Chroma):
        store: Store

        def similarity_search_by_vector_with_relevance_scores(self, *args: Any, **kwargs: Any) -> Any:
            search = Chroma.similarity_search_by_vector_with_relevance_scores
            return self.store.search_fresh(lambda view: search(view, *args, **kwargs))

    return FreshChroma


_STORES: dict[tuple[str, str | None, str], Store] = {}


def open_store(settings: Settings) -> Store:
    """One Store per (folder, server, collection) per process: Chroma clients are heavy."""
    key = (str(settings.home), settings.chroma_url, settings.collection)
    if key not in _STORES:
        _STORES[key] = Store(settings)
    return _STORES[key]
