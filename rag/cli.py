"""The ``newsbrief`` command: a thin shell that parses flags, calls the library, prints results."""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from rag.settings import PRESETS, Settings, load_settings

app = typer.Typer(
    help="newsbrief: ask cited questions of a news corpus and write briefing notes (offline by default).",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
console = Console(stderr=True, soft_wrap=True, highlight=False)
out = Console(soft_wrap=True, highlight=False)


class State:
    settings: Settings
    preset: str | None = None


state = State()


def progress_bar(first_column: str, disable: bool):
    """A progress bar on stderr; ``rich.progress`` is imported only by the commands that show one
    (a cold ``ask`` imports nothing it does not use)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(
        TextColumn(first_column),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=disable,
    )


def say(label: str, message: str) -> None:
    """A red label, then the message as plain text (paths may hold [brackets])."""
    console.print(Text(f"{label}: ", style="red") + Text(message))


def fail(message: str, code: int = 2) -> None:
    say("error", message)
    raise typer.Exit(code)


def iso_date(value: str | None, flag: str) -> str | None:
    """A YYYY-MM-DD option, or a clear error: not a date at all, or a day the calendar does not have."""
    from rag.quote import check_day

    if value is None:
        return None
    try:
        return check_day(value)
    except ValueError as exc:
        fail(f"{flag} expects a date as YYYY-MM-DD, got {value!r}" if "YYYY" in str(exc) else f"{flag} {exc}")
    return None


@app.callback()
def main(
    store: Annotated[
        Path | None,
        typer.Option("--store", help="Store folder (default: $NEWSBRIEF_HOME or ~/.local/share/newsbrief)."),
    ] = None,
    chroma: Annotated[
        str | None,
        typer.Option(
            "--chroma",
            help="Use a Chroma server, e.g. http://127.0.0.1:8000 (default: $NEWSBRIEF_CHROMA_URL or embedded).",
        ),
    ] = None,
    preset: Annotated[str | None, typer.Option("--preset", help=f"Settings preset: {', '.join(PRESETS)}.")] = None,
    llm: Annotated[
        str | None, typer.Option("--llm", help="Generator: extractive (offline, default) or openai.")
    ] = None,
) -> None:
    try:
        state.settings = load_settings(preset, home=store, chroma_url=chroma, llm=llm)
        state.preset = preset
    except ValueError as exc:
        fail(str(exc))


def _store():
    from rag.store import open_store

    try:
        return open_store(state.settings)
    except Exception as exc:
        where = state.settings.chroma_url or state.settings.chroma_path
        fail(f"cannot open the store at {where}: {exc}")


def _print_citations(citations, declined: bool = False) -> None:
    from rag.cite import sources_text  # each article once, with every quote from it

    if citations:
        out.print("\nClosest coverage (not an answer):" if declined else "\nSources:")
        out.print(sources_text(citations, declined=declined), markup=False)


def interrupted_ingest_message(exc: BaseException, chroma_url: str | None) -> str:
    """One readable line for an ingest that stopped half-way (the store stays consistent)."""
    reason = f"{type(exc).__name__}: {exc}".strip().rstrip(":")
    where = f"lost the Chroma server at {chroma_url}" if chroma_url else "the ingest stopped"
    return (
        f"{where} ({reason}). Articles finished before this are stored and nothing is half-written: "
        "run the ingest again to finish the rest."
    )


@app.command()
def ingest(
    paths: Annotated[
        list[str],
        typer.Argument(
            help="Files, folders or http(s) URLs: .txt .md .html .json .jsonl .pdf, RSS/Atom feeds "
            "(.rss .atom .xml or a feed URL) and lists of URLs (.urls, one per line).",
            show_default=False,
            metavar="PATH|URL...",
        ),
    ],
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    prune: Annotated[
        bool,
        typer.Option("--prune", help="Also remove stored articles whose file under PATHS no longer exists."),
    ] = False,
    wait: Annotated[
        float,
        typer.Option(
            "--wait", min=0, metavar="SECONDS", help="If another ingest is running, wait this long (default: stop)."
        ),
    ] = 0.0,
) -> None:
    """Add articles to the store; unchanged ones are skipped, changed ones replaced.

    Exit code: 0 when anything was added, updated or skipped as unchanged (failures are listed
    above the summary), 1 when every source failed, 3 when another ingest holds the store.
    """
    from rag.fetch import is_http_url
    from rag.index import IngestBusy, ingest_paths

    missing = [p for p in paths if not is_http_url(p) and not Path(p).exists()]
    for p in missing:
        say("failed", f"{p}: no such file or folder")
    with progress_bar("{task.description}", disable=quiet or not console.is_terminal) as bar:
        task = bar.add_task("parsing", total=None)

        def progress(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=total)

        _store()
        try:
            report = ingest_paths(
                [p for p in paths if p not in missing], state.settings, progress, prune=prune, wait_seconds=wait
            )
        except IngestBusy as exc:
            bar.stop()
            fail(f"{exc} (or pass --wait SECONDS)", code=3)
        except KeyboardInterrupt:
            bar.stop()
            fail("interrupted. Articles finished before this are stored: run the ingest again to finish.", code=130)
        except Exception as exc:  # a lost server, a full disk…: one readable line, not a traceback
            bar.stop()
            fail(interrupted_ingest_message(exc, state.settings.chroma_url))
    for error in report.errors:
        say("failed", str(error))
    for warning in report.warnings:
        say("warning", warning)
    report.failed += len(missing)
    out.print(report.summary())
    if report.failed and not (report.added or report.updated or report.skipped):
        raise typer.Exit(1)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="Your question, in quotes.")],
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Only articles published on or before YYYY-MM-DD.")
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Only articles published on or after YYYY-MM-DD.")
    ] = None,
    source: Annotated[str | None, typer.Option("--source", help="Only articles from this source (e.g. WION).")] = None,
    k: Annotated[int | None, typer.Option("--k", min=1, max=50, help="Chunks of evidence to use.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    session: Annotated[
        str | None,
        typer.Option(
            "--session",
            metavar="NAME",
            help="Continue conversation NAME (letters, digits, - and _): a follow-up such as "
            "'And what did Wang say?' is read against its last turns, kept in STORE/sessions/NAME.json.",
        ),
    ] = None,
    forget: Annotated[
        bool, typer.Option("--forget", help="With --session: forget that conversation's earlier turns first.")
    ] = False,
) -> None:
    """Answer a question from the corpus, citing the exact sentences used.

    With --session, a rewritten follow-up is shown on stderr as "(understood as: ...)" and in
    --json output as "standalone_question".
    """
    from rag.conversation import Turn, ask_followup, forget_session, load_session, save_session

    if forget and session is None:
        fail("--forget needs --session NAME")
    history: list[Turn] = []
    if session is not None:
        try:
            if forget:
                forget_session(state.settings, session)
            history = load_session(state.settings, session)
        except ValueError as exc:
            fail(str(exc))
    store = _store()
    if store.count_chunks() == 0:
        fail("the store is empty: run `newsbrief ingest corpus/` first")
    try:
        answer, standalone = ask_followup(
            store,
            state.settings,
            question,
            history,
            iso_date(as_of, "--as-of"),
            source,
            k,
            since=iso_date(since, "--since"),
        )
    except ValueError as exc:
        fail(str(exc))
    except Exception as exc:
        if state.settings.llm != "openai":
            raise
        fail(f"the OpenAI-compatible server failed ({type(exc).__name__}: {exc}); try --llm extractive")
    data = answer.to_dict()
    if session:
        save_session(state.settings, session, [*history, Turn.from_answer(answer.question, standalone, answer)])
        data["standalone_question"] = standalone
        if standalone != answer.question:
            console.print(Text(f"(understood as: {standalone})", style="dim"))
    if as_json:
        out.print(json.dumps(data, ensure_ascii=False), markup=False)
        return
    out.print(answer.answer, markup=False)
    _print_citations(answer.citations, declined=answer.abstained)


@app.command()
def serve(
    socket_path: Annotated[
        Path | None, typer.Option("--socket", help="Unix socket to listen on (default: STORE/newsbrief.sock).")
    ] = None,
    idle_exit: Annotated[
        float | None, typer.Option("--idle-exit", min=1, help="Exit after this many seconds without an ask.")
    ] = None,
) -> None:
    """Keep the store loaded and answer `newsbrief ask` from other shells in a fraction of a second.

    Then, in those shells: export NEWSBRIEF_SERVER=<the socket>. Only `ask` is answered, one at a
    time, with the same output and exit code as in-process; only your own user can connect. With
    NEWSBRIEF_SERVER=auto instead, the first `ask` starts a server itself (see rag/serve.py).
    """
    from rag import serve as server

    path = (socket_path or state.settings.home / "newsbrief.sock").absolute()
    if len(str(path).encode()) > 100:
        fail(f"the socket path {path} is too long for a Unix socket: give a shorter one with --socket")
    store = _store()
    if store.count_chunks() == 0:
        fail("the store is empty: run `newsbrief ingest corpus/` first")

    def warm() -> None:
        from rag.answer import ask as answer

        # loads the model, BM25, spaCy, the vector index; never a paid LLM call, whatever --llm says
        answer(store, state.settings.with_(llm="extractive"), "What is in the news?")
        console.print(Text(f"ready: answering `ask` for {state.settings.home} on {path}"))
        console.print(Text(f"In other shells: export NEWSBRIEF_SERVER={path}", style="dim"))

    try:
        server.serve(path, warm, idle_exit)
    except RuntimeError as exc:
        fail(str(exc))


@app.command()
def brief(
    topic: Annotated[str | None, typer.Option("--topic", help="What the note is about.")] = None,
    day: Annotated[str | None, typer.Option("--date", help="Brief the news of one day, YYYY-MM-DD.")] = None,
    since: Annotated[str | None, typer.Option("--since", help="Brief a period from this day (with --until).")] = None,
    until: Annotated[str | None, typer.Option("--until", help="…to this day, YYYY-MM-DD (default: --since).")] = None,
    words: Annotated[int | None, typer.Option("--words", min=20, max=1000, help="Word budget (default 120).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    markdown: Annotated[bool, typer.Option("--markdown", help="Print the note as Markdown with its sources.")] = False,
) -> None:
    """Write a one-paragraph briefing note; every sentence is a cited quote."""
    from rag.brief import brief_date, brief_range, brief_topic, titles_between
    from rag.render import note_markdown, sources_text

    if until and not since:
        fail("--until needs --since")
    if sum(bool(x) for x in (topic, day, since)) != 1:
        fail("give exactly one of --topic, --date or --since [--until]")
    first, last = iso_date(since, "--since"), iso_date(until, "--until")
    if first and last and first > last:
        fail(f"--since {first} is after --until {last}")
    store = _store()
    if topic:
        note = brief_topic(store, state.settings, topic, words)
    elif day:
        note = brief_date(store, state.settings, iso_date(day, "--date") or "", words)
    else:
        note = brief_range(store, state.settings, first or "", last or first or "", words)
    if as_json:
        out.print(json.dumps(note.to_dict(), ensure_ascii=False), markup=False)
        return
    if not note.paragraph:
        what = f"for {day}" if day else f"from {first} to {last or first}" if first else "about that topic"
        since_day = iso_date(day, "--date") or first
        stored = titles_between(store, since_day, last or since_day) if since_day else []
        if stored:
            out.print(
                f"{len(stored)} article(s) stored {what}, but none holds a sentence a note can quote: "
                + "; ".join(stored[:3]),
                markup=False,
            )
        else:
            out.print(f"Nothing in the corpus to brief on {what}.")
        raise typer.Exit(1)
    if markdown:
        out.print(note_markdown(note), markup=False)
        return
    out.print(note.paragraph, markup=False)
    out.print("\nSources:\n" + sources_text(note.citations), markup=False)


@app.command()
def timeline(
    topic: Annotated[str, typer.Option("--topic", help="What the timeline is about.")],
    since: Annotated[str | None, typer.Option("--since", help="Only articles from this day, YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option("--until", help="…up to this day, YYYY-MM-DD.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    markdown: Annotated[bool, typer.Option("--markdown", help="Print it as Markdown with its sources.")] = False,
) -> None:
    """One dated, cited line per development of a topic, oldest first (the same news told twice is one line)."""
    from rag.brief import timeline as build_timeline
    from rag.render import timeline_markdown, timeline_text

    first, last = iso_date(since, "--since"), iso_date(until, "--until")
    if first and last and first > last:
        fail(f"--since {first} is after --until {last}")
    result = build_timeline(_store(), state.settings, topic, first, last)
    if as_json:
        out.print(json.dumps(result.to_dict(), ensure_ascii=False), markup=False)
        return
    if not result.developments:
        out.print("Nothing in the corpus to put on a timeline about that topic.")
        raise typer.Exit(1)
    out.print(timeline_markdown(result) if markdown else timeline_text(result), markup=False)


def _write_atomically(target: Path, text: str) -> bool:
    """Write ``text`` to ``target`` unless it already holds exactly that; True when written."""
    if target.exists() and target.read_text(encoding="utf-8") == text:
        return False
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(target)
    return True


@app.command()
def daily(
    day: Annotated[
        str | None, typer.Option("--date", help="The day, YYYY-MM-DD (default: today; see --since/--until).")
    ] = None,
    since: Annotated[str | None, typer.Option("--since", help="Every day from this one (with --until).")] = None,
    until: Annotated[str | None, typer.Option("--until", help="…to this one, YYYY-MM-DD (default: today).")] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for YYYY-MM-DD.md and .html.")] = Path("briefs"),
    words: Annotated[int | None, typer.Option("--words", min=20, max=1000, help="Words per story.")] = None,
    max_stories: Annotated[int | None, typer.Option("--max-stories", min=1, help="At most N stories a day.")] = None,
) -> None:
    """Write each day's briefs — one cited paragraph per story, biggest first — as OUT/DAY.md and OUT/DAY.html.

    Safe from cron: the same store gives the same files (unchanged files are not rewritten), files
    are replaced atomically, one log line per day goes to stdout, and the exit code is 0 when every
    day was written (a day without articles still gets a file saying so), 1 when the store is
    empty or a write failed, 2 for bad arguments.
    """
    from rag.brief import daily_briefs
    from rag.render import daily_html, daily_markdown

    if day and (since or until):
        fail("give --date, or --since [--until], not both")
    today = date.today().isoformat()
    first = iso_date(day or since, "--date" if day else "--since") or today
    last = iso_date(until, "--until") or (first if day or not since else today)
    if first > last:
        fail(f"--since {first} is after --until {last}")
    days = [
        (date.fromisoformat(first) + timedelta(n)).isoformat()
        for n in range((date.fromisoformat(last) - date.fromisoformat(first)).days + 1)
    ]
    if len(days) > 366:
        fail(f"{len(days)} days is more than a year: split the range")
    store = _store()
    if store.count_chunks() == 0:
        fail("the store is empty: run `newsbrief ingest` first", code=1)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for the_day in days:
            notes = daily_briefs(store, state.settings, the_day, words, max_stories)
            written = [
                _write_atomically(out_dir / f"{the_day}.md", daily_markdown(the_day, notes)),
                _write_atomically(out_dir / f"{the_day}.html", daily_html(the_day, notes)),
            ]
            stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            what = f"{len(notes)} {'story' if len(notes) == 1 else 'stories'}" if notes else "no articles"
            status = "written" if any(written) else "unchanged"
            out.print(f"{stamp} daily {the_day}: {what} → {out_dir / the_day}.md/.html ({status})", markup=False)
    except OSError as exc:
        fail(f"cannot write to {out_dir}: {exc.strerror or exc}", code=1)


@app.command(name="eval")
def eval_(
    gold: Annotated[Path, typer.Argument(help="Gold questions, JSON lines.")],
    corpus: Annotated[
        list[Path] | None, typer.Option("--corpus", help="Ingest this first (skipped when unchanged).")
    ] = None,
    k: Annotated[int, typer.Option("--k", min=1, max=100, help="Retrieval depth for hits@k/MRR.")] = 10,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Only the first N questions.")] = None,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report",
            help="Folder for metrics.json, report.md, metrics.png (default: eval-reports/<gold-stem>-<timestamp>/).",
        ),
    ] = None,
    compare: Annotated[
        Path | None,
        typer.Option("--compare", help="A previous run's metrics.json: print before, after and delta per metric."),
    ] = None,
    floors: Annotated[
        list[str] | None,
        typer.Option("--min", metavar="METRIC=VALUE", help="Exit 1 if METRIC is below VALUE (repeatable)."),
    ] = None,
    ceilings: Annotated[
        list[str] | None,
        typer.Option(
            "--max",
            metavar="METRIC=VALUE",
            help="Exit 1 if a lower-is-better METRIC (false_abstention, seconds_per_question) is above VALUE.",
        ),
    ] = None,
    out_of_window: Annotated[
        bool,
        typer.Option(
            "--out-of-window",
            help="Also ask answerable questions as of the day before their gold articles (abstaining is right).",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the metrics as one JSON object.")] = False,
) -> None:
    """Score the store on gold questions: retrieval hits, answers, citations, abstention; write a report folder."""
    from datetime import datetime

    from rag.evaluate import (
        check_thresholds,
        compare_metrics,
        default_report_dir,
        evaluate,
        format_comparison,
        load_gold,
        load_metrics,
        parse_thresholds,
        run_record,
        write_report,
    )
    from rag.index import ingest_paths

    if not gold.exists():
        fail(f"{gold}: no such file")
    try:  # every flag is checked before the (slow) run, so a typo costs nothing
        rows = load_gold(gold)[:limit]
        thresholds = parse_thresholds(floors or []) + parse_thresholds(ceilings or [], ceiling=True)
        previous = load_metrics(compare) if compare else None
    except ValueError as exc:
        fail(str(exc))
    if corpus:
        summary = ingest_paths(corpus, state.settings).summary()
        console.print(f"corpus: {summary}")
    store = _store()
    if store.count_chunks() == 0:
        fail("the store is empty: pass --corpus or run `newsbrief ingest` first")
    with progress_bar("eval", disable=not console.is_terminal) as bar:
        task = bar.add_task("eval", total=len(rows))
        result = evaluate(
            store,
            state.settings,
            rows,
            k=k,
            progress=lambda d, t: bar.update(task, completed=d, total=t),
            out_of_window=out_of_window,
        )
    now = datetime.now().astimezone()
    folder = report or default_report_dir(gold, now)
    run = run_record(gold, state.settings, now, k=k, limit=limit, out_of_window=out_of_window, preset=state.preset)
    try:
        write_report(folder, result, run)
    except OSError as exc:
        fail(f"cannot write the report to {folder}: {exc}")
    console.print(Text(f"report: {folder}"))
    if as_json:
        out.print(json.dumps(result.metrics), markup=False)
    else:
        width = max(len(name) for name in result.metrics)
        for name, value in result.metrics.items():
            out.print(f"{name:<{width}}  {value}", markup=False)
    if previous is not None:  # on stderr under --json, so stdout stays one JSON object
        (console if as_json else out).print(
            f"\ncompared with {compare}:\n" + format_comparison(compare_metrics(previous, result.metrics)),
            markup=False,
        )
    problems = check_thresholds(result.metrics, thresholds)
    for problem in problems:
        say("eval failed", problem)
    if problems:
        raise typer.Exit(1)


def app_command(settings: Settings, port: int, host: str) -> list[str]:
    """``streamlit run app.py`` with the options ``.streamlit/config.toml`` holds (that file is read
    only when Streamlit starts in the repository's root): the address, and uploads capped at the
    ingest's size limit (Streamlit counts MiB)."""
    app_path = Path(__file__).resolve().parent.parent / "app.py"
    upload_mib = max(1, -(-settings.max_file_bytes // 2**20))
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app_path),
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--server.address",
        host,
        "--server.maxUploadSize",
        str(upload_mib),
        "--browser.gatherUsageStats",
        "false",
    ]


@app.command(name="app")
def run_app(
    port: Annotated[int, typer.Option("--port", help="Port for the web app.")] = 8501,
    host: Annotated[
        str,
        typer.Option(
            "--host", help="Address to listen on (default: this machine only; 0.0.0.0 to let others in, on purpose)."
        ),
    ] = "127.0.0.1",
) -> None:
    """Start the Streamlit app (chat, briefs, daily, corpus, eval) on http://HOST:PORT.

    The app is read-only unless NEWSBRIEF_ADMIN_TOKEN is set: then a visitor who types that token
    once per browser session may upload articles and save eval runs.
    """
    # The app builds its own settings from the environment: hand it every global option given here.
    env = dict(os.environ, NEWSBRIEF_HOME=str(state.settings.home), NEWSBRIEF_LLM=state.settings.llm)
    if state.settings.chroma_url:
        env["NEWSBRIEF_CHROMA_URL"] = state.settings.chroma_url
    if state.preset:
        env["NEWSBRIEF_PRESET"] = state.preset
    if host not in ("127.0.0.1", "localhost", "::1"):
        say("note", f"listening on {host}: anyone who can reach port {port} can read the corpus")
    # Become Streamlit (no child process): stopping this PID stops the server.
    sys.stdout.flush()
    os.execve(sys.executable, app_command(state.settings, port, host), env)


if __name__ == "__main__":
    app()
