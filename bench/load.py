"""Load bench (issue 13): concurrent readers, BM25 rebuilds and browser sessions on one temp store.

Bounded and loopback only: the bundled corpus is ingested into a temp store (never your own, never
/tmp/rtqa/home), every phase has a time limit, the app listens on 127.0.0.1 and Chromium is told
to stay off the network. Phases:

* ``threads`` — 8 API threads (``rag.conversation.ask_followup`` on one shared Store, as the app
  does) asking the bundled gold questions while a second process keeps ingesting new articles
  (each ingest changes the store's generation twice, so readers keep rebuilding BM25);
* ``cli`` — waves of 8 concurrent cold ``newsbrief ask`` processes during such an ingest;
* ``cold`` — a cold ``newsbrief ask`` alone, then 8 at once (no ingest): wall time, CPU seconds
  each, and the heaviest imports of one (``python -X importtime``);
* ``served`` — the same with ``newsbrief serve`` running: one ``ask`` alone (median of 3), then 8
  new questions at once, each a ``newsbrief ask`` process answered by the warm server;
* ``auto`` — the same with ``NEWSBRIEF_SERVER=auto`` and no server running: 8 asks at once (the
  first starts the server, the others wait for it), then one alone, answered by it;
* ``bm25`` — 6 processes rebuilding the BM25 index at once, ``--rounds`` times (a new generation
  each round); every index read is checked against the store, and stray folders are counted;
* ``browser`` — ``streamlit run app.py`` and 6 headless-Chromium sessions (one Chromium, a context
  each), each asking 3 questions twice over: first each question sent while the previous answer
  is still coming, then each after the previous answer; lost turns are counted, and the app's
  resident memory is sampled before, during and after (memory per session).

    nice -n 10 .venv/bin/python bench/load.py                       # every phase, appends to bench/RESULTS.md
    .venv/bin/python bench/load.py --phases bm25 --rounds 3 --no-results

Exit code 1 when any phase saw an error, a lost turn or a stray folder.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the app runner and the Chromium set-up the browser tests use

from app_server import CHROMIUM, CHROMIUM_ARGS, QUIET_ENV, running_app  # noqa: E402

CORPUS = ROOT / "corpus"
GOLD = ROOT / "evals" / "bundled.jsonl"
RESULTS = ROOT / "bench" / "RESULTS.md"
HEADING = "## Load: concurrent readers, BM25 rebuilds, browser sessions (issue 13)"
PHASES = ("bm25", "threads", "cli", "cold", "served", "auto", "browser")
COLD_QUESTION = "What did Motegi plan to raise?"
BROWSER_QUESTIONS = (
    "What did Motegi plan to raise?",
    "Why did Japan reduce aid to China?",
    "Who became chief executive of General Motors in 2013?",
    "What did the Chinese submarine do?",
    "Who won the 2030 FIFA World Cup final?",
    "What happened to Yasser Arafat?",
)
# A quiet child environment: no telemetry, no model hub, loopback never through a proxy.
CHILD_ENV = {**QUIET_ENV, "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}


@dataclass
class PhaseResult:
    """One phase's figures: what was done, how long it took, and what went wrong (must be nothing)."""

    name: str
    what: str
    operations: int = 0
    errors: list[str] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.errors and not self.extra.get("lost_turns") and not self.extra.get("stray_folders")

    def row(self) -> str:
        lat = ""
        if self.latencies_ms:
            ordered = sorted(self.latencies_ms)
            p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
            lat = f"p50 {statistics.median(ordered) / 1000:.2f} s, p95 {p95 / 1000:.2f} s"
        extra = "; ".join(f"{key.replace('_', ' ')} {value}" for key, value in self.extra.items())
        return (
            f"| {self.name} | {self.what} | {self.operations} | {len(self.errors)} | {lat or '—'} | "
            f"{extra or '—'} | {self.seconds:.0f} s |"
        )


def log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)


def env_for(home: Path) -> dict[str, str]:
    return {**os.environ, **CHILD_ENV, "NEWSBRIEF_HOME": str(home)}


def newsbrief(home: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "rag", "--store", str(home), *args]


def gold_questions() -> list[str]:
    rows = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [str(row["question"]) for row in rows]


def stray_folders(home: Path) -> list[str]:
    """Anything under ``home/bm25`` but one published generation per collection and its lock files."""
    strays = []
    root = home / "bm25"
    for entry in sorted(root.iterdir()) if root.is_dir() else []:
        if not entry.is_dir() or entry.name.endswith((".tmp", ".old")):
            strays.append(entry.name)
            continue
        generations = [e.name for e in entry.iterdir() if e.name.startswith("gen-")]
        others = [e.name for e in entry.iterdir() if not e.name.startswith("gen-") and not e.name.endswith(".lock")]
        strays += [f"{entry.name}/{name}" for name in [*generations[1:], *others]]
    return strays


# ---------------------------------------------------------------- the store and the ingest load


def make_store(home: Path) -> None:
    """The bundled corpus in a fresh store (about a minute)."""
    started = time.monotonic()
    subprocess.run(newsbrief(home, "ingest", str(CORPUS), "-q"), check=True, env=env_for(home), cwd=ROOT)
    log(f"ingested the bundled corpus into {home} in {time.monotonic() - started:.0f} s")


def synthetic_batches(folder: Path, batches: int, per_batch: int, seed: int = 13) -> list[Path]:
    """Folders of new articles made of sentences drawn from across the corpus (so no two are
    near-duplicates of each other or of a stored article), one folder per ingest."""
    rng = random.Random(seed)
    sentences = []
    for path in sorted((CORPUS / "wikinews").glob("*.txt")):
        body = path.read_text(encoding="utf-8").split("\n\n", 1)[-1]
        sentences += [s.strip() + "." for s in body.replace("\n", " ").split(". ") if len(s.split()) > 6]
    made = []
    for b in range(batches):
        batch = folder / f"batch-{b:02d}"
        batch.mkdir(parents=True, exist_ok=True)
        for n in range(per_batch):
            body = " ".join(rng.sample(sentences, 8))
            title = f"Load test dispatch {b}-{n}"
            (batch / f"load-{b:02d}-{n:02d}.txt").write_text(
                f"{title}\nLoad Wire\n2021-0{1 + b % 9}-{10 + n % 18}\n\n{body}\n", encoding="utf-8"
            )
        made.append(batch)
    return made


@contextmanager
def ingesting(home: Path, batches: Sequence[Path], log_path: Path) -> Iterator[dict[str, Any]]:
    """A background process ingesting ``batches`` one after the other, while the block runs."""
    state: dict[str, Any] = {"ingests": 0, "failed": 0, "stop": False}

    def run() -> None:
        with log_path.open("ab") as out:
            for batch in batches:
                if state["stop"]:
                    return
                done = subprocess.run(
                    newsbrief(home, "ingest", str(batch), "-q", "--wait", "60"),
                    env=env_for(home),
                    cwd=ROOT,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    timeout=600,
                )
                state["ingests"] += 1
                state["failed"] += done.returncode != 0

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    try:
        yield state
    finally:
        state["stop"] = True
        worker.join(timeout=700)


# ---------------------------------------------------------------- phase: BM25 rebuilt by many processes at once


def _bm25_worker(home: str, rounds: int, barrier: Any, results: Any) -> None:
    """One process: each round, wait for the others, then read the BM25 index of the new generation."""
    from rag.settings import load_settings
    from rag.store import open_store

    store = open_store(load_settings(home=Path(home)))
    for _ in range(rounds):
        barrier.wait()  # the coordinator has just made a new generation
        try:
            started = time.perf_counter()
            index = store.bm25()
            elapsed = (time.perf_counter() - started) * 1000
            expected = store.count_chunks()
            if len(index.chunk_ids) != expected:
                results.put(("error", f"index holds {len(index.chunk_ids)} chunks, the store {expected}"))
            else:
                results.put(("ok", elapsed))
        except Exception as exc:  # the point of the phase: count them
            results.put(("error", f"{type(exc).__name__}: {exc}"))
        barrier.wait()  # everyone has read before the next generation


def phase_bm25(home: Path, processes: int = 6, rounds: int = 20) -> PhaseResult:
    """``processes`` processes call ``store.bm25()`` at the same moment after each new generation."""
    from rag.settings import load_settings
    from rag.store import open_store

    result = PhaseResult("bm25", f"{processes} processes rebuilding BM25 at once, {rounds} generations")
    started = time.monotonic()
    store = open_store(load_settings(home=home))
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(processes + 1, timeout=300)
    results = context.Queue()
    workers = [
        context.Process(target=_bm25_worker, args=(str(home), rounds, barrier, results)) for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    try:
        for _ in range(rounds):
            store.mark_changed()  # every reader's index is now stale
            barrier.wait()
            barrier.wait()
    finally:
        for worker in workers:
            worker.join(timeout=120)
            if worker.is_alive():
                worker.kill()
                result.errors.append("a worker did not finish")
    while not results.empty():
        kind, value = results.get()
        result.operations += 1
        if kind == "ok":
            result.latencies_ms.append(value)
        else:
            result.errors.append(value)
    strays = stray_folders(home)
    result.extra["stray_folders"] = len(strays)
    if strays:
        result.extra["strays"] = ", ".join(strays[:5])
    result.seconds = time.monotonic() - started
    return result


# ---------------------------------------------------------------- phase: API threads during an ingest


def phase_threads(home: Path, work: Path, threads: int = 8, batches: int = 8, limit_s: float = 600) -> PhaseResult:
    """``threads`` threads share one Store (as the app's sessions do) and ask while an ingest runs."""
    from rag.conversation import ask_followup
    from rag.settings import load_settings
    from rag.store import open_store

    result = PhaseResult("threads", f"{threads} API threads asking during {batches} ingests")
    settings = load_settings(home=home)
    store = open_store(settings)
    questions = gold_questions()
    lock = threading.Lock()
    started = time.monotonic()
    with ingesting(home, synthetic_batches(work / "threads", batches, 12), work / "threads-ingest.log") as state:

        def reader(seed: int) -> None:
            rng = random.Random(seed)
            while not state["stop"] and state["ingests"] < batches and time.monotonic() - started < limit_s:
                question = rng.choice(questions)
                begin = time.perf_counter()
                try:
                    ask_followup(store, settings, question, [])
                    with lock:
                        result.latencies_ms.append((time.perf_counter() - begin) * 1000)
                except Exception as exc:
                    where = traceback.extract_tb(exc.__traceback__)
                    ours = [f"{Path(f.filename).name}:{f.lineno}" for f in where if "/rag/" in f.filename][-3:]
                    with lock:
                        result.errors.append(f"{question!r}: {type(exc).__name__}: {exc} (at {' < '.join(ours)})")
                with lock:
                    result.operations += 1

        pool = [threading.Thread(target=reader, args=(n,)) for n in range(threads)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join(timeout=limit_s + 120)
        result.extra["ingests"] = state["ingests"]
        if state["failed"]:
            result.errors.append(f"{state['failed']} ingests failed (see {work / 'threads-ingest.log'})")
    store.bm25()
    result.extra["stray_folders"] = len(stray_folders(home))
    result.seconds = time.monotonic() - started
    return result


# ---------------------------------------------------------------- phase: CLI processes during an ingest


def phase_cli(home: Path, work: Path, processes: int = 8, waves: int = 3) -> PhaseResult:
    """Waves of ``processes`` concurrent cold ``newsbrief ask`` processes while an ingest runs."""
    result = PhaseResult("cli", f"{waves} waves of {processes} concurrent cold `newsbrief ask` during ingests")
    questions = gold_questions()
    rng = random.Random(7)
    started = time.monotonic()
    with ingesting(home, synthetic_batches(work / "cli", waves + 1, 12, seed=17), work / "cli-ingest.log") as state:
        for _ in range(waves):
            running = []
            for _ in range(processes):
                question = rng.choice(questions)
                proc = subprocess.Popen(
                    newsbrief(home, "ask", question, "--json"),
                    env=env_for(home),
                    cwd=ROOT,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                )
                running.append((question, time.perf_counter(), proc))
            for question, begin, proc in running:
                try:
                    out, err = proc.communicate(timeout=300)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    out, err = proc.communicate()
                result.operations += 1
                result.latencies_ms.append((time.perf_counter() - begin) * 1000)
                if proc.returncode != 0:
                    last = (err.decode(errors="replace").strip().splitlines() or ["(no output)"])[-1]
                    result.errors.append(f"{question!r}: exit {proc.returncode}: {last}")
                else:
                    json.loads(out)  # one JSON object, or this raises
        result.extra["ingests during the waves"] = state["ingests"]
    result.extra["stray_folders"] = len(stray_folders(home))
    result.seconds = time.monotonic() - started
    return result


# ---------------------------------------------------------------- phase: cold asks, and where their time goes


def cold_asks(home: Path, count: int) -> tuple[list[float], float]:
    """``count`` cold ``newsbrief ask`` processes started together: wall seconds each, and the CPU
    seconds (user + system) they used in all."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    procs = [
        subprocess.Popen(newsbrief(home, "ask", COLD_QUESTION), env=env_for(home), cwd=ROOT, stdout=subprocess.DEVNULL)
        for _ in range(count)
    ]
    walls = []
    for proc in procs:
        if proc.wait(timeout=600) != 0:
            raise RuntimeError(f"newsbrief ask exited with {proc.returncode}")
        walls.append(time.perf_counter() - started)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return walls, cpu


def import_breakdown(home: Path, top: int = 8) -> tuple[float, list[tuple[str, float]]]:
    """``python -X importtime -m rag ask``: total import seconds, and the heaviest top-level
    packages by their own import time."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *newsbrief(home, "ask", COLD_QUESTION)[1:]],
        env=env_for(home),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    by_package: dict[str, float] = {}
    for line in done.stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) == 3 and parts[0].strip().isdigit():
            name = parts[2].strip().split(".")[0]
            by_package[name] = by_package.get(name, 0.0) + int(parts[0]) / 1e6
    heaviest = sorted(by_package.items(), key=lambda kv: -kv[1])[:top]
    return sum(by_package.values()), heaviest


# The calls `newsbrief ask` makes, one stage at a time, in a fresh process: CPU seconds of each.
STAGES_SCRIPT = """
import json, sys, time
spent, last = {}, time.process_time()
def mark(name):
    global last
    now = time.process_time(); spent[name] = round(now - last, 2); last = now
import rag.cli
mark("cli imports")
import rag.conversation
mark("answer-path imports")
from rag.settings import load_settings
from rag.store import open_store
settings = load_settings(); store = open_store(settings); store.count_chunks()
mark("open store")
store.bm25()
mark("BM25 load")
from rag.embed import embedder_for
embedder_for(settings).embed(["warm"])
mark("ONNX session")
rag.conversation.ask_followup(store, settings, sys.argv[1], [])
mark("answer (incl. lazy loads)")
print(json.dumps(spent))
"""


def stage_breakdown(home: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", STAGES_SCRIPT, COLD_QUESTION],
        env=env_for(home),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        raise RuntimeError(f"stage timing failed: {done.stderr.strip().splitlines()[-1:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def phase_cold(home: Path, processes: int = 8) -> PhaseResult:
    """A cold ``newsbrief ask`` alone (median of 3), then ``processes`` at once (no ingest), and
    where one spends its import time."""
    result = PhaseResult("cold", f"cold `newsbrief ask`: alone (median of 3), then {processes} at once")
    started = time.monotonic()
    try:
        alone = [cold_asks(home, 1) for _ in range(3)]
        together, cpu = cold_asks(home, processes)
        imports, heaviest = import_breakdown(home)
        stages = stage_breakdown(home)
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        result.errors.append(str(exc))
        return result
    result.operations = 3 + processes
    result.latencies_ms = [w * 1000 for w in together]
    result.extra["alone s"] = f"{statistics.median(w[0] for w, _ in alone):.1f}"
    result.extra["CPU s per ask"] = f"{cpu / processes:.1f}"
    result.extra["imports s"] = f"{imports:.2f} ({', '.join(f'{n} {t:.2f}' for n, t in heaviest)})"
    result.extra["CPU s by stage"] = ", ".join(f"{name} {seconds:.2f}" for name, seconds in stages.items())
    result.seconds = time.monotonic() - started
    return result


def served_asks(home: Path, server: str, questions: list[str], env: dict[str, str] | None = None) -> list[float]:
    """One ``newsbrief ask`` process per question, started together, with ``NEWSBRIEF_SERVER=server``
    (a socket, or ``auto``): wall seconds each."""
    env = {**(env or env_for(home)), "NEWSBRIEF_SERVER": server}
    started = time.perf_counter()
    procs = [
        subprocess.Popen(newsbrief(home, "ask", q), env=env, cwd=ROOT, stdout=subprocess.DEVNULL) for q in questions
    ]
    walls = []
    for proc in procs:
        if proc.wait(timeout=600) != 0:
            raise RuntimeError(f"newsbrief ask exited with {proc.returncode}")
        walls.append(time.perf_counter() - started)
    return walls


def phase_served(home: Path, work: Path, processes: int = 8) -> PhaseResult:
    """``newsbrief serve`` on the store, then ``newsbrief ask`` through it: alone (median of 3 new
    questions), then ``processes`` new questions at once."""
    import socket

    result = PhaseResult("served", f"`newsbrief ask` with `newsbrief serve` running: alone, then {processes} at once")
    started = time.monotonic()
    path = work / "nb.sock"
    server = subprocess.Popen(
        newsbrief(home, "serve", "--socket", str(path)),
        env=env_for(home),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 300
        while True:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
                try:
                    probe.connect(str(path))
                    break
                except OSError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        result.errors.append("newsbrief serve did not start")
                        return result
            time.sleep(0.2)
        result.extra["server start s"] = f"{time.monotonic() - started:.1f}"
        questions = gold_questions()
        alone = [served_asks(home, str(path), [q])[0] for q in questions[:3]]
        together = served_asks(home, str(path), questions[3 : 3 + processes])
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        result.errors.append(str(exc))
        return result
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=30)
    result.operations = 3 + processes
    result.latencies_ms = [w * 1000 for w in together]
    result.extra["alone s"] = f"{statistics.median(alone):.2f}"
    result.seconds = time.monotonic() - started
    return result


def phase_auto(home: Path, processes: int = 8) -> PhaseResult:
    """``NEWSBRIEF_SERVER=auto`` with no server running: ``processes`` cold asks at once (the first
    starts a server, the others wait for it rather than each loading everything), then one new
    question alone (median of 3), answered by the server they started."""
    import psutil

    result = PhaseResult("auto", f"`NEWSBRIEF_SERVER=auto`, no server running: {processes} at once, then alone")
    started = time.monotonic()
    runtime = Path(tempfile.mkdtemp(prefix="nb", dir="/tmp"))  # short: a socket path has ~100 bytes
    env = {**env_for(home), "XDG_RUNTIME_DIR": str(runtime)}
    try:
        questions = gold_questions()
        together = served_asks(home, "auto", questions[:processes], env)
        alone = [served_asks(home, "auto", [q], env)[0] for q in questions[processes : processes + 3]]
        starts = sum(log.read_text().count("ready:") for log in runtime.glob("newsbrief-*/server-*.log"))
    except (RuntimeError, subprocess.TimeoutExpired, OSError) as exc:
        result.errors.append(str(exc))
        return result
    finally:
        for process in psutil.process_iter(["cmdline"]):
            if any(str(runtime) in part for part in process.info["cmdline"] or []):
                process.terminate()
        shutil.rmtree(runtime, ignore_errors=True)
    if starts != 1:
        result.errors.append(f"{starts} servers started, not one")
    result.operations = processes + 3
    result.latencies_ms = [w * 1000 for w in together]
    result.extra["alone s"] = f"{statistics.median(alone):.2f}"
    result.seconds = time.monotonic() - started
    return result


# ---------------------------------------------------------------- phase: browser sessions


def rss_mib(pid: int) -> float:
    import psutil

    return psutil.Process(pid).memory_info().rss / 2**20


class MemorySampler:
    """The peak resident memory of one process, sampled every ``every`` seconds in a thread."""

    def __init__(self, pid: int, every: float = 0.5) -> None:
        self.pid, self.every, self.peak, self._stop = pid, every, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak = max(self.peak, rss_mib(self.pid))
            except Exception:
                return
            self._stop.wait(self.every)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


USER = '[data-testid="stChatMessage"]:has([data-testid="stChatMessageAvatarUser"])'
# An answered turn: its sources (expanders; popovers before issue 13) or a "Not found"/error alert.
SHOWN_MS = 60_000  # a question not shown within a minute was lost
ANSWERED = """() => [...document.querySelectorAll('[data-testid="stChatMessage"]')]
    .filter(m => m.querySelector('[data-testid="stChatMessageAvatarAssistant"]'))
    .filter(m => m.querySelector('[data-testid="stExpander"], [data-testid="stAlert"], [data-testid="stPopover"]'))
    .map(m => m.innerText.replace(/\\s+/g, ' ').trim())"""


async def _session(browser: Any, url: str, questions: Sequence[str], timeout_ms: int) -> dict[str, Any]:
    """One browser session: questions[:3] sent back to back (each as soon as the previous one is
    shown, while its answer is still coming), then questions[3:] each after the previous answer."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    timings: list[float] = []
    try:
        await page.goto(url, wait_until="domcontentloaded")
        box = page.locator('[data-testid="stChatInput"] textarea')
        await box.wait_for(state="visible", timeout=timeout_ms)
        back_to_back, one_by_one = questions[:3], questions[3:]
        for n, question in enumerate(back_to_back, start=1):
            await box.fill(question)
            await box.press("Enter")
            await page.locator(USER).nth(n - 1).wait_for(timeout=SHOWN_MS)  # not shown: the turn was lost
        await _wait_answers(page, len(back_to_back), timeout_ms)
        for n, question in enumerate(one_by_one, start=len(back_to_back) + 1):
            begin = time.perf_counter()
            await box.fill(question)
            await box.press("Enter")
            await _wait_answers(page, n, timeout_ms)
            timings.append((time.perf_counter() - begin) * 1000)
        await asyncio.sleep(1.0)  # anything still arriving (a lost turn would show up as a missing one)
        users = [" ".join((await t.inner_text()).split()) for t in await page.locator(USER).all()]
        answers = await page.evaluate(ANSWERED)
        exceptions = await page.locator('[data-testid="stException"]').count()
        return {"users": users, "answers": answers, "exceptions": exceptions, "timings": timings}
    finally:
        await context.close()


async def _wait_answers(page: Any, count: int, timeout_ms: int) -> None:
    deadline = time.monotonic() + timeout_ms / 1000
    while len(await page.evaluate(ANSWERED)) < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{count} answers not shown within {timeout_ms / 1000:.0f} s")
        await asyncio.sleep(0.25)


def plans(sessions: int) -> list[list[str]]:
    """Each session's six questions, in a fixed order per session."""
    return [random.Random(n).sample(BROWSER_QUESTIONS, 6) for n in range(sessions)]


async def _browser_round(url: str, sessions: int, timeout_ms: int) -> list[dict[str, Any] | BaseException]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            return await asyncio.gather(
                *(_session(browser, url, plan, timeout_ms) for plan in plans(sessions)), return_exceptions=True
            )
        finally:
            await browser.close()


def phase_browser(home: Path, work: Path, sessions: int = 6, timeout_s: int = 300) -> PhaseResult:
    """``sessions`` Chromium sessions at once, 3 questions back to back then 3 one by one, each."""
    result = PhaseResult("browser", f"{sessions} headless-Chromium sessions × (3 back-to-back + 3 one-by-one)")
    if not CHROMIUM.exists():
        result.errors.append(f"{CHROMIUM} missing (apt-get install -y chromium)")
        return result
    started = time.monotonic()
    with running_app(home, work / "streamlit.log") as (proc, url):
        idle = rss_mib(proc.pid)
        warm = asyncio.run(_browser_round(url, 1, timeout_s * 1000))  # loads the store and the model once
        if isinstance(warm[0], BaseException):
            result.errors.append(f"warm-up session: {type(warm[0]).__name__}: {warm[0]}")
        baseline = rss_mib(proc.pid)
        with MemorySampler(proc.pid) as sampler:
            outcomes = asyncio.run(_browser_round(url, sessions, timeout_s * 1000))
        after = rss_mib(proc.pid)
        lost = 0
        for n, (plan, outcome) in enumerate(zip(plans(sessions), outcomes, strict=True)):
            if isinstance(outcome, BaseException):
                result.errors.append(f"session {n}: {type(outcome).__name__}: {str(outcome)[:300]}")
                lost += len(plan)
                continue
            result.operations += len(outcome["answers"])
            result.latencies_ms += outcome["timings"]
            # A turn is kept when its question is shown, in the order asked, with an answer after it.
            kept = sum(1 for asked, shown in zip(plan, outcome["users"], strict=False) if asked in shown)
            lost += len(plan) - min(kept, len(outcome["answers"]))
            if outcome["exceptions"]:
                result.errors.append(f"session {n}: {outcome['exceptions']} exception(s) on the page")
        tracebacks = (work / "streamlit.log").read_text(errors="replace").count("Traceback")
        if tracebacks:
            result.errors.append(f"{tracebacks} traceback(s) in the app's log ({work / 'streamlit.log'})")
    result.extra["lost_turns"] = lost
    result.extra["app RSS idle/warm/peak/after MiB"] = f"{idle:.0f}/{baseline:.0f}/{sampler.peak:.0f}/{after:.0f}"
    result.extra["MiB per session"] = f"{max(0.0, sampler.peak - baseline) / sessions:.0f}"
    result.seconds = time.monotonic() - started
    return result


# ---------------------------------------------------------------- main


def report(results: Sequence[PhaseResult], command: str, store_note: str, load: str = "") -> str:
    lines = [
        "",
        f"{HEADING} — {datetime.now():%Y-%m-%d %H:%M}",
        "",
        f"Command: `{command}`; {store_note}. Machine: {platform.machine()}, {os.cpu_count()} cores shared "
        f"with other work{load}, Python {platform.python_version()}. Latency is wall time per operation "
        "(an API answer, a whole cold CLI process, a BM25 read, a browser answer sent after the last).",
        "",
        "| phase | what | operations | errors | latency | notes | took |",
        "|---|---|---|---|---|---|---|",
        *(r.row() for r in results),
        "",
    ]
    for r in results:
        lines += [f"- {r.name} error: {error}" for error in r.errors[:10]]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--phases", default=",".join(PHASES), help=f"comma-separated, of {', '.join(PHASES)}")
    parser.add_argument("--rounds", type=int, default=20, help="BM25 generations for the bm25 phase")
    parser.add_argument("--bm25-processes", type=int, default=6, help="processes rebuilding BM25 at once")
    parser.add_argument("--sessions", type=int, default=6, help="browser sessions")
    parser.add_argument("--store", type=Path, help="reuse this bench store (made if missing); default: a temp one")
    parser.add_argument("--no-results", action="store_true", help=f"print only; do not append to {RESULTS}")
    args = parser.parse_args(argv)
    phases = [p.strip() for p in args.phases.split(",") if p.strip()]
    unknown = set(phases) - set(PHASES)
    if unknown:
        parser.error(f"unknown phases: {', '.join(sorted(unknown))}")
    work = Path(tempfile.mkdtemp(prefix="newsbrief-load-"))
    home = args.store or work / "home"
    if home.resolve() == Path("/tmp/rtqa/home"):
        parser.error("never on the RealTime QA store: use a bench store")
    os.environ.update(CHILD_ENV)
    runners: dict[str, Callable[[], PhaseResult]] = {
        "bm25": lambda: phase_bm25(home, processes=args.bm25_processes, rounds=args.rounds),
        "threads": lambda: phase_threads(home, work),
        "cli": lambda: phase_cli(home, work),
        "cold": lambda: phase_cold(home),
        "served": lambda: phase_served(home, work),
        "auto": lambda: phase_auto(home),
        "browser": lambda: phase_browser(home, work, sessions=args.sessions),
    }
    start_load = os.getloadavg()[0]
    clean = False
    try:
        if not (home / "chroma").exists():
            make_store(home)
        results = []
        for name in phases:
            log(f"phase {name}…")
            results.append(runners[name]())
            log(results[-1].row())
        command = "python bench/load.py " + " ".join(argv if argv is not None else sys.argv[1:])
        load = f" (1-min load average {start_load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end)"
        store_note = "the bundled corpus (206 articles) in a temp store" if args.store is None else f"store {home}"
        text = report(results, command.strip(), store_note, load)
        print(text)
        if not args.no_results:
            with RESULTS.open("a", encoding="utf-8") as out:
                out.write(text)
        clean = all(r.ok for r in results)
        return 0 if clean else 1
    finally:
        if clean:  # the temp store (unless --store), the generated articles and the logs
            shutil.rmtree(work, ignore_errors=True)
        else:
            log(f"kept for a look: {work}")


if __name__ == "__main__":
    sys.exit(main())
