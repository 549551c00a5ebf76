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

import json
import shutil
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from rag.dedup import Duplicate, decode_duplicates, encode_duplicates
from rag.embed import MiniLMEmbeddingFunction
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
) -> dict[str, Any]:
    """Metadata of one chunk. Every chunk carries the article's near-duplicate links (so evidence
    can say "also reported by"); the commit marker (chunk 0) also carries its MinHash signature."""
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
    if chunk.index == 0 and article.feed_entry:
        meta["feed_entry"] = article.feed_entry
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
    sources = dict.fromkeys(d.source for d in duplicates if d.source and d.source.lower() != own)
    return {"also_reported_by": tuple(sources), "duplicate_ids": tuple(d.id for d in duplicates)}


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

    def search(
        self, query: str, k: int, max_day: int | None, source: str | None, min_day: int | None = None
    ) -> list[tuple[str, float]]:
        import bm25s

        tokens = bm25s.tokenize([query], stopwords="en", show_progress=False)
        if not tokens.vocab or not self.chunk_ids:
            return []
        mask = np.ones(len(self.chunk_ids), dtype=np.float32)
        if max_day is not None:
            mask *= self.days <= max_day
        if min_day is not None:
            mask *= self.days >= min_day
        if source:
            mask *= self.source_mask(source)
        k = min(k, len(self.chunk_ids))
        docs, scores = self.retriever.retrieve(tokens, k=k, show_progress=False, weight_mask=mask, n_threads=1)
        return [(self.chunk_ids[int(d)], float(s)) for d, s in zip(docs[0], scores[0], strict=True) if s > 0]


class Store:
    """The chunk collection and its BM25 twin, in an embedded folder or on a Chroma server."""

    def __init__(self, settings: Settings) -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        self.settings = settings
        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        if settings.chroma_url:
            from urllib.parse import urlparse

            url = urlparse(settings.chroma_url)
            self.client = chromadb.HttpClient(
                host=url.hostname or "127.0.0.1",
                port=url.port or 8000,
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
        else:
            settings.chroma_path.mkdir(parents=True, exist_ok=True)
            self.client = chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings)
        self.embedding_function = MiniLMEmbeddingFunction(settings.embed_max_tokens, settings.embed_batch)
        self.collection = self.client.get_or_create_collection(
            settings.collection,
            embedding_function=self.embedding_function,  # type: ignore[arg-type]
            configuration={"hnsw": {"space": "cosine"}},
        )
        self._bm25: Bm25Index | None = None
        self._vectorstore = None
        self._max_batch = max(1, self.client.get_max_batch_size() - 1)

    # ------------------------------------------------------------ writes

    def version_of(self, article: Article) -> tuple[str, int]:
        """What must match for a stored article to be skipped: its content and how it was chunked."""
        return article.content_hash, self.settings.chunk_tokens

    def stored_versions(self, article_ids: Sequence[str]) -> dict[str, tuple[str, int]]:
        """Version of each fully stored article among ``article_ids`` (see :meth:`version_of`)."""
        default_tokens = Settings.model_fields["chunk_tokens"].default
        return {
            str(meta["article_id"]): (str(meta["content_hash"]), int(meta.get("chunk_tokens", default_tokens)))
            for meta in self._markers(article_ids)
        }

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
        metas = [chunk_metadata(article, c, len(chunks), tokens, duplicates, minhash) for c in chunks]
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
            if meta.get("feed_entry") and meta.get("chunk_tokens") == self.settings.chunk_tokens
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
        """LangChain's view of the same collection, for the LCEL retrieval chain."""
        if self._vectorstore is None:
            from langchain_chroma import Chroma

            from rag.embed import LangChainEmbeddings

            self._vectorstore = Chroma(
                client=self.client,
                collection_name=self.settings.collection,
                embedding_function=LangChainEmbeddings(self.settings.embed_max_tokens, self.settings.embed_batch),
            )
        return self._vectorstore

    # ------------------------------------------------------------ BM25

    @property
    def generation(self) -> str:
        """Read fresh each time: another process (a CLI ingest, another app) may have written."""
        current = self.client.get_collection(self.settings.collection, embedding_function=self.embedding_function)
        return str((current.metadata or {}).get("generation", "none"))

    def bm25(self) -> Bm25Index:
        """The BM25 index for the current generation, loaded from disk or rebuilt from Chroma."""
        generation = self.generation
        if self._bm25 is not None and self._bm25.generation == generation:
            return self._bm25
        folder = self.settings.home / "bm25" / self.settings.collection
        manifest_path = folder / "manifest.json"
        if manifest_path.exists():
            manifest = json.loads(manifest_path.read_text())
            if manifest.get("generation") == generation:
                self._bm25 = self._load_bm25(folder, manifest)
                return self._bm25
        self._bm25 = self._build_bm25(folder, generation)
        return self._bm25

    def _load_bm25(self, folder: Path, manifest: dict[str, Any]) -> Bm25Index:
        import bm25s

        retriever = (
            bm25s.BM25.load(str(folder / "index"), mmap=False, show_progress=False) if manifest["chunk_ids"] else None
        )
        return Bm25Index(
            retriever,
            manifest["chunk_ids"],
            np.array(manifest["days"], dtype=np.int64),
            np.array(manifest["sources"], dtype=object),
            manifest["generation"],
            np.array(manifest.get("also") or [""] * len(manifest["chunk_ids"]), dtype=object),
        )

    def _build_bm25(self, folder: Path, generation: str) -> Bm25Index:
        import bm25s

        # Page by page, keeping only what the index needs: holding every chunk's full metadata at
        # once cost ~700 MB at 51k chunks and was the ingest's peak memory.
        ids: list[str] = []
        texts: list[str] = []
        days: list[int] = []
        sources: list[str] = []
        also: list[str] = []
        for got in self.pages(["documents", "metadatas"], page=2000):
            for chunk_id, text, meta in zip(got["ids"], got["documents"] or [], got["metadatas"] or [], strict=True):
                ids.append(chunk_id)
                texts.append(f"{meta.get('header', '')}\n{text}")
                days.append(int(meta.get("day", UNKNOWN_DAY)))
                sources.append(str(meta.get("source_key", meta.get("source", ""))).lower())
                also.append(copy_sources_key(dict(meta)))
        retriever = None
        tmp = folder.with_name(f"{folder.name}.{uuid.uuid4().hex[:8]}.tmp")  # concurrent builders never collide
        tmp.mkdir(parents=True, exist_ok=True)
        if ids:
            retriever = bm25s.BM25(k1=0.9, b=0.4)
            retriever.index(bm25s.tokenize(texts, stopwords="en", show_progress=False), show_progress=False)
            retriever.save(str(tmp / "index"), show_progress=False)
        manifest = {"generation": generation, "chunk_ids": ids, "days": days, "sources": sources, "also": also}
        (tmp / "manifest.json").write_text(json.dumps(manifest))
        old = folder.with_name(f"{folder.name}.{uuid.uuid4().hex[:8]}.old")
        if folder.exists():
            folder.rename(old)
        tmp.rename(folder)
        shutil.rmtree(old, ignore_errors=True)
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


_STORES: dict[tuple[str, str | None, str], Store] = {}


def open_store(settings: Settings) -> Store:
    """One Store per (folder, server, collection) per process: Chroma clients are heavy."""
    key = (str(settings.home), settings.chroma_url, settings.collection)
    if key not in _STORES:
        _STORES[key] = Store(settings)
    return _STORES[key]
