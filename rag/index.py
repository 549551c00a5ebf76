"""Ingest orchestration: files → articles → chunks → vectors → store, idempotent by content hash."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rag.chunk import chunk_article
from rag.embed import get_embedder
from rag.ingest import IngestError, ParseError, iter_files, parse_file
from rag.settings import Settings
from rag.store import open_store
from rag.types import Article

Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass
class IngestReport:
    added: int = 0
    updated: int = 0
    skipped: int = 0
    failed: int = 0
    chunks: int = 0
    errors: list[IngestError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"added {self.added}, updated {self.updated}, skipped {self.skipped} (unchanged), "
            f"failed {self.failed}; {self.chunks} chunks written"
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
    paths: Iterable[Path], settings: Settings, progress: Progress | None = None, group_size: int = 64
) -> IngestReport:
    """Parse, skip unchanged, and (re)index the rest in groups so memory stays flat."""
    report = IngestReport()
    articles = parse_paths(paths, settings, report)
    store = open_store(settings)
    stored = store.stored_versions([a.id for a in articles])
    todo = [a for a in articles if stored.get(a.id) != store.version_of(a)]
    report.skipped = len(articles) - len(todo)
    if not todo:
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
