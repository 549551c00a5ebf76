"""A stock LangChain RAG pipeline on RealTime QA 2022, measured the way we measure newsbrief.

What is measured (the "stock" pipeline of the issue, nothing of ours but the embedding model):

* chunking: ``RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)`` over
  ``title + "\\n\\n" + body`` of every article, metadata ``doc_id`` and ``day`` (date ordinal);
* embedding: ``rag.embed.LangChainEmbeddings()`` (the same int8 MiniLM ONNX model as ours, offline);
* store: ``langchain_chroma.Chroma`` on a ``chromadb.PersistentClient`` of its own under ``--workdir``,
  collection defaults untouched (L2 space; on unit vectors it ranks exactly like cosine);
* ingest: wall time, wordpiece tokens/s (tokens actually fed to the model, i.e. capped at the
  embedder's 256), chunks; ``add_documents`` is called per batch of articles so progress can be logged;
* peak RSS: ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` after the ingest and at the end;
* retrieval, per dev question: ``similarity_search(question, k=10, filter={"day": {"$lte": ordinal}})``
  (as-of filtered on ``question_date``, like ours), the same unfiltered (reference), and k=4 filtered
  (the issue-4 variant). Latency p50/p95 includes embedding the question (warm, after 3 warm-up calls);
* quality: document-level hits@1/5/10 and MRR@10 — the returned chunks are deduplicated by
  ``doc_id`` in order and the rank of the first gold article (``evidence[].doc_id``) is scored.

The dataset is read from ``../shared/datasets/realtimeqa-2022/`` and never copied into the repo.
Try it small first, then the full corpus (low priority; progress goes to the log every ~30 s)::

    .venv/bin/python bench/stock_langchain.py --limit-articles 400 --workdir /tmp/stock-small
    mkdir -p /tmp/stock && nice -n 19 .venv/bin/python bench/stock_langchain.py --workdir /tmp/stock \\
        > /tmp/stock/log.txt 2>&1 &

``--reuse`` skips the ingest when the store under ``--workdir`` was completed for the same article set.
The result is printed as a Markdown section (also written to ``<workdir>/results.md``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shlex
import shutil
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "datasets" / "realtimeqa-2022"
COLLECTION = "stock_langchain"
CHUNK_SIZE = 1000
CHUNK_OVERLAP = 200
SEED = 20221
WARMUP = 3
LOG_EVERY_S = 30.0


@dataclass
class Question:
    id: str
    text: str
    day: int
    gold: set[str]


@dataclass
class Pass:
    """One retrieval configuration over all questions."""

    name: str
    k: int
    filtered: bool
    latencies_ms: list[float]
    ranks: list[int | None]

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def hits(self, n: int) -> float:
        return sum(1 for r in self.ranks if r is not None and r <= n) / len(self.ranks)

    def mrr(self, n: int) -> float:
        return sum(1.0 / r for r in self.ranks if r is not None and r <= n) / len(self.ranks)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def day_number(iso: str) -> int:
    return date.fromisoformat(iso[:10]).toordinal()


def load_questions(path: Path) -> list[Question]:
    return [
        Question(
            id=str(row["id"]),
            text=str(row["question"]),
            day=day_number(str(row["question_date"])),
            gold={str(e["doc_id"]) for e in row.get("evidence", []) if e.get("doc_id")},
        )
        for row in read_jsonl(path)
    ]


def select_articles(
    corpus: Path, questions: Sequence[Question], limit: int | None, seed: int
) -> tuple[list[dict[str, Any]], int]:
    """All articles, or every gold article plus seeded random distractors up to ``limit``."""
    articles = list(read_jsonl(corpus))
    if limit is None or limit >= len(articles):
        return articles, len(articles)
    gold = set().union(*(q.gold for q in questions))
    keep = [a for a in articles if a["id"] in gold]
    others = [a for a in articles if a["id"] not in gold]
    if limit < len(keep):
        log(f"--limit-articles {limit} is below the {len(keep)} gold articles; keeping all gold articles")
    keep += random.Random(seed).sample(others, max(0, limit - len(keep)))
    keep_ids = {a["id"] for a in keep}
    return [a for a in articles if a["id"] in keep_ids], len(articles)  # corpus order, not sample order


def split_articles(articles: Sequence[dict[str, Any]]) -> list[list[Any]]:
    """Per article, its LangChain Documents (splitter defaults except size and overlap)."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP)
    out = []
    for article in articles:
        text = f"{article.get('title') or ''}\n\n{article.get('body') or ''}"
        meta = {"doc_id": str(article["id"]), "day": day_number(str(article["published_at"]))}
        out.append(splitter.create_documents([text], metadatas=[meta]))
    return out


def count_tokens(texts: Sequence[str], cap: int) -> tuple[int, int, int]:
    """(wordpiece tokens incl. [CLS]/[SEP], the same capped at ``cap`` per text, texts over the cap)."""
    from tokenizers import Tokenizer

    from rag.embed import TOKENIZER_PATH

    tokenizer = Tokenizer.from_file(str(TOKENIZER_PATH))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    full = capped = over = 0
    for begin in range(0, len(texts), 1000):
        for encoding in tokenizer.encode_batch(list(texts[begin : begin + 1000])):
            n = len(encoding.ids)
            full += n
            capped += min(n, cap)
            over += n > cap
    return full, capped, over


def open_store(workdir: Path) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from langchain_chroma import Chroma

    from rag.embed import LangChainEmbeddings

    client = chromadb.PersistentClient(
        path=str(workdir / "chroma"), settings=ChromaSettings(anonymized_telemetry=False)
    )
    return Chroma(client=client, collection_name=COLLECTION, embedding_function=LangChainEmbeddings())  # type: ignore[arg-type]


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Progress:
    """Ingest state, checkpointed after every batch so a killed run can resume (``--reuse``).

    Chunk ids are deterministic and ``add_documents`` upserts, so redoing a batch that was written but
    not yet checkpointed is harmless; its time then counts once.
    """

    article_ids: list[str]
    batch_articles: int
    articles_done: int = 0
    chunks_done: int = 0
    wall_s: float = 0.0
    cpu_s: float = 0.0
    load_sum: float = 0.0
    load_samples: int = 0
    peak_rss_mib: float = 0.0
    segments: int = 0

    @classmethod
    def load(cls, path: Path, article_ids: list[str], batch_articles: int) -> Progress | None:
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            return None
        if data.get("article_ids") != article_ids or data.get("batch_articles") != batch_articles:
            return None
        return cls(**data)

    def save(self, path: Path) -> None:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.__dict__))
        tmp.replace(path)


def ingest(store: Any, per_article: Sequence[Sequence[Any]], progress: Progress, checkpoint: Path) -> Progress:
    """Embed and add every chunk not yet done; logs progress about every 30 s.

    The machine is shared, so besides wall seconds it keeps CPU seconds and the 1-min load average
    (sampled at each log line) to say how much of the wall time was ours.
    """
    total_chunks = sum(len(docs) for docs in per_article)
    progress.segments += 1
    if progress.articles_done:
        log(f"resuming after {progress.articles_done:,} articles ({progress.wall_s:,.0f} s so far)")
    batch_articles = progress.batch_articles
    last = time.perf_counter()
    for begin in range(progress.articles_done, len(per_article), batch_articles):
        wall0, cpu0 = time.perf_counter(), cpu_seconds()
        batch = per_article[begin : begin + batch_articles]
        docs = [doc for docs in batch for doc in docs]
        ids = [f"{doc.metadata['doc_id']}:{i}" for docs in batch for i, doc in enumerate(docs)]
        store.add_documents(docs, ids=ids)
        now = time.perf_counter()
        progress.wall_s += now - wall0
        progress.cpu_s += cpu_seconds() - cpu0
        progress.articles_done += len(batch)
        progress.chunks_done += len(docs)
        progress.peak_rss_mib = max(progress.peak_rss_mib, peak_rss_mib())
        if now - last >= LOG_EVERY_S or progress.articles_done == len(per_article):
            progress.load_sum += os.getloadavg()[0]
            progress.load_samples += 1
            eta = progress.wall_s / progress.chunks_done * (total_chunks - progress.chunks_done)
            log(
                f"ingest: {progress.articles_done:,}/{len(per_article):,} articles, "
                f"{progress.chunks_done:,}/{total_chunks:,} chunks, elapsed {progress.wall_s:,.0f} s, "
                f"ETA {eta:,.0f} s, CPU {progress.cpu_s:,.0f} s, load {os.getloadavg()[0]:.1f}, "
                f"peak RSS {progress.peak_rss_mib:,.0f} MiB"
            )
            last = now
        progress.save(checkpoint)
    return progress


def doc_rank(docs: Sequence[Any], gold: set[str]) -> int | None:
    """1-based rank of the first gold article among the results deduplicated by doc_id in order."""
    seen: list[str] = []
    for doc in docs:
        doc_id = str(doc.metadata.get("doc_id"))
        if doc_id not in seen:
            seen.append(doc_id)
            if doc_id in gold:
                return len(seen)
    return None


def run_pass(store: Any, questions: Sequence[Question], name: str, k: int, filtered: bool) -> Pass:
    def search(q: Question) -> list[Any]:
        where = {"day": {"$lte": q.day}} if filtered else None
        return store.similarity_search(q.text, k=k, filter=where)

    for q in questions[:WARMUP]:
        search(q)
    result = Pass(name=name, k=k, filtered=filtered, latencies_ms=[], ranks=[])
    for q in questions:
        started = time.perf_counter()
        docs = search(q)
        result.latencies_ms.append((time.perf_counter() - started) * 1000)
        result.ranks.append(doc_rank(docs, q.gold))
    log(f"{name}: p50 {result.percentile(0.5):.1f} ms, hits@1 {result.hits(1):.3f}, hits@{k} {result.hits(k):.3f}")
    return result


def machine() -> str:
    mem_kib = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    except OSError:
        pass
    return f"{os.cpu_count()} cores / {mem_kib / 2**20:.0f} GiB, Python {platform.python_version()}"


def report(manifest: dict[str, Any], passes: Sequence[Pass], end_rss: float, command: str, reused: bool) -> str:
    k10, unfiltered, k4 = passes
    seconds = manifest["ingest_seconds"]
    ingest_note = " (reused store: figures from the run that built it)" if reused else ""
    if manifest.get("ingest_segments", 1) > 1:
        ingest_note += f" (resumed: sum of {manifest['ingest_segments']} segments)"
    lines = [
        f"## {date.today().isoformat()} — stock LangChain pipeline (bench/stock_langchain.py)",
        "",
        f"Machine: {machine()}. Command: `{command}`",
        "",
        f"Corpus: {manifest['articles']:,} of {manifest['corpus_articles']:,} RealTime QA articles → "
        f"{manifest['chunks']:,} chunks (RecursiveCharacterTextSplitter 1000/200 characters over title + body); "
        f"{len(k10.ranks)} dev questions. Embedder: rag.embed.LangChainEmbeddings (int8 MiniLM, 256-token cap); "
        "store: langchain_chroma.Chroma, PersistentClient, collection defaults.",
        "",
        "| figure | value |",
        "|---|---|",
        f"| ingest wall time{ingest_note} | {seconds:,.0f} s ({seconds / 60:.1f} min), "
        f"{manifest['articles'] / seconds:.2f} articles/s |",
        f"| wordpiece tokens embedded (capped at 256/chunk) | {manifest['tokens_capped']:,} → "
        f"{manifest['tokens_capped'] / seconds:,.0f} tokens/s |",
    ]
    if "ingest_cpu_seconds" in manifest:
        cpu = manifest["ingest_cpu_seconds"]
        lines.append(
            f"| ingest CPU time (user + sys, this process) | {cpu:,.0f} s → {manifest['tokens_capped'] / cpu:,.0f} "
            f"tokens per CPU-second; mean 1-min load average during the ingest {manifest['ingest_mean_load']:.1f} |"
        )
    lines += [
        f"| chunks over the 256-token cap (tail not embedded) | {manifest['chunks_over_cap']:,} "
        f"({manifest['chunks_over_cap'] / manifest['chunks']:.1%}); uncapped total {manifest['tokens_full']:,} |",
        f"| peak RSS after ingest | {manifest['peak_rss_mib_after_ingest']:,.0f} MiB |",
        f"| peak RSS at the end (ingest + {3 * len(k10.ranks)} searches) | {end_rss:,.0f} MiB |",
    ]
    for p in passes:
        lines.append(
            f"| latency {p.name} | p50 {p.percentile(0.5):.1f} ms, p95 {p.percentile(0.95):.1f} ms, "
            f"max {max(p.latencies_ms):.1f} ms |"
        )
    lines += [
        "",
        "| retrieval (document-level, chunks deduplicated by article in order) | hits@1 | hits@4 | hits@5 | hits@10 "
        "| MRR@k |",
        "|---|---|---|---|---|---|",
    ]
    for p in (k10, unfiltered, k4):
        cells = [f"{p.hits(n):.3f}" if n <= p.k else "—" for n in (1, 4, 5, 10)]
        lines.append(f"| {p.name} | {' | '.join(cells)} | {p.mrr(p.k):.3f} (@{p.k}) |")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder with corpus.jsonl, queries-dev.jsonl")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/stock-langchain"), help="store, manifest, results")
    parser.add_argument("--limit-articles", type=int, default=None, help="gold articles + seeded random distractors")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--reuse", action="store_true", help="skip the ingest if this article set's store exists; resume a killed one"
    )
    parser.add_argument("--batch-articles", type=int, default=8, help="articles per add_documents call")
    args = parser.parse_args(argv)

    corpus, queries = args.data / "corpus.jsonl", args.data / "queries-dev.jsonl"
    if not corpus.is_file() or not queries.is_file():
        print(f"RealTime QA data not found under {args.data} (need corpus.jsonl and queries-dev.jsonl); nothing to do.")
        return 0
    interpreter = os.path.relpath(sys.executable) if sys.executable.startswith(os.getcwd()) else sys.executable
    command = " ".join(shlex.quote(a) for a in [interpreter, *sys.argv])
    if os.nice(0) > 0:
        command = f"nice -n {os.nice(0)} {command}"

    questions = load_questions(queries)
    articles, corpus_size = select_articles(corpus, questions, args.limit_articles, args.seed)
    log(f"{len(articles):,} of {corpus_size:,} articles, {len(questions)} questions; splitting")
    per_article = split_articles(articles)
    texts = [doc.page_content for docs in per_article for doc in docs]
    article_ids = sorted(a["id"] for a in articles)
    log(f"{len(texts):,} chunks")

    args.workdir.mkdir(parents=True, exist_ok=True)
    manifest_path = args.workdir / "manifest.json"
    manifest: dict[str, Any] | None = None
    if args.reuse and manifest_path.is_file():
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("article_ids") != article_ids or manifest.get("chunks") != len(texts):
            log("--reuse: the stored manifest is for another article set; ingesting afresh")
            manifest = None
    store = None
    if manifest is None:
        manifest_path.unlink(missing_ok=True)
        checkpoint = args.workdir / "progress.json"
        progress = Progress.load(checkpoint, article_ids, args.batch_articles) if args.reuse else None
        if progress is None:
            checkpoint.unlink(missing_ok=True)
            shutil.rmtree(args.workdir / "chroma", ignore_errors=True)  # only the store this script created
            progress = Progress(article_ids=article_ids, batch_articles=args.batch_articles)
        store = open_store(args.workdir)
        progress = ingest(store, per_article, progress, checkpoint)
        full, capped, over = count_tokens(texts, cap=256)
        manifest = {
            "article_ids": article_ids,
            "articles": len(articles),
            "corpus_articles": corpus_size,
            "chunks": len(texts),
            "ingest_seconds": progress.wall_s,
            "ingest_cpu_seconds": progress.cpu_s,
            "ingest_mean_load": progress.load_sum / max(1, progress.load_samples),
            "ingest_segments": progress.segments,
            "tokens_full": full,
            "tokens_capped": capped,
            "chunks_over_cap": over,
            "peak_rss_mib_after_ingest": progress.peak_rss_mib,
        }
        manifest_path.write_text(json.dumps(manifest))
        reused = False
    else:
        log(f"--reuse: store under {args.workdir} is complete; skipping the ingest")
        store = open_store(args.workdir)
        reused = True
    stored = store._collection.count()
    if stored != len(texts):
        log(f"warning: the collection holds {stored:,} chunks, expected {len(texts):,}")

    passes: list[Pass] = []
    configs: list[tuple[str, int, bool]] = [
        ("k=10, as-of filtered", 10, True),
        ("k=10, unfiltered (reference)", 10, False),
        ("k=4, as-of filtered (issue 4)", 4, True),
    ]
    for name, k, filtered in configs:
        passes.append(run_pass(store, questions, name, k, filtered))
    text = report(manifest, passes, peak_rss_mib(), command, reused)
    (args.workdir / "results.md").write_text(text)
    print("\n" + text, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
