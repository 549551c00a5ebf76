"""The `newsbrief` command as a user runs it (subprocesses over the session's bundled store)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from rag.quote import shown_as, without_editor_brackets
from tests.conftest import ROOT, SEED_ID


def run(*args: str, home: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, NEWSBRIEF_HOME=str(home), ORT_DISABLE_TELEMETRY="1")
    env.pop("NEWSBRIEF_CHROMA_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "rag", *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=300
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


def test_help_lists_every_command(tmp_path: Path) -> None:
    result = run("--help", home=tmp_path)
    for command in ("ingest", "ask", "brief", "daily", "eval", "app"):
        assert command in result.stdout


def test_ask_json_contract(bundled_settings) -> None:
    result = run("ask", "What did Motegi plan to raise?", "--json", home=bundled_settings.home)
    data = json.loads(result.stdout)
    assert set(data) == {
        "question",
        "answer",
        "short_answer",
        "short_answer_span",
        "abstained",
        "searched",
        "citations",
    }
    assert data["abstained"] is False
    span = data["short_answer_span"]
    if data["short_answer"] is not None:  # the asked-for thing, cut from a cited article at exact offsets
        assert span["text"] == data["short_answer"] and span["doc_id"] == data["citations"][span["n"] - 1]["doc_id"]
    first = data["citations"][0]
    assert {"n", "doc_id", "title", "source", "published_at", "quote", "start", "end"} <= set(first)
    assert first["doc_id"] == SEED_ID and "East China Sea" in first["quote"]


def test_ask_text_has_markers_and_sources(bundled_settings) -> None:
    result = run("ask", "What did Motegi plan to raise?", home=bundled_settings.home)
    assert "[1]" in result.stdout and "Sources:" in result.stdout and "WION" in result.stdout


def test_ask_lists_each_cited_article_once(bundled_settings) -> None:
    result = run("ask", "Why did Japan reduce aid to China?", "--as-of", "2004-11-17", home=bundled_settings.home)
    answer, sources = result.stdout.split("Sources:")
    assert "[1]" in answer and "[2]" in answer, answer
    assert "[1][2] Japan to reduce aid to China" in sources and sources.count("Japan to reduce aid to China") == 1


def test_a_decline_lists_its_closest_coverage_as_no_answer(bundled_settings) -> None:
    result = run("ask", "Who succeeded Mary Barra?", home=bundled_settings.home)
    assert result.stdout.startswith("Not found") and "Closest coverage (not an answer):" in result.stdout
    assert "Sources:" not in result.stdout and "(unsupported)" not in result.stdout


def test_ask_abstains_outside_the_window(bundled_settings) -> None:
    result = run("ask", "What did Motegi plan to raise?", "--as-of", "2004-01-01", "--json", home=bundled_settings.home)
    data = json.loads(result.stdout)
    assert data["abstained"] is True and data["citations"] == []
    assert "2004-01-01" in data["answer"]


def test_bad_date_is_a_readable_error(bundled_settings) -> None:
    result = run("ask", "Anything", "--as-of", "yesterday", home=bundled_settings.home, check=False)
    assert result.returncode == 2 and "YYYY-MM-DD" in result.stderr


def test_ask_in_a_date_window(bundled_settings) -> None:
    result = run(
        "ask",
        "What did Motegi plan to raise?",
        "--since",
        "2020-11-01",
        "--as-of",
        "2020-11-30",
        "--json",
        home=bundled_settings.home,
    )
    data = json.loads(result.stdout)
    assert not data["abstained"] and data["citations"][0]["doc_id"] == SEED_ID
    inverted = run(
        "ask", "Motegi", "--since", "2021-01-01", "--as-of", "2020-01-01", home=bundled_settings.home, check=False
    )
    assert inverted.returncode == 2 and "after --as-of" in inverted.stderr


def test_empty_store_says_what_to_do(tmp_path: Path) -> None:
    result = run("ask", "Anything?", home=tmp_path / "empty", check=False)
    assert result.returncode != 0 and "newsbrief ingest" in result.stderr


def test_brief_json_every_sentence_cited(bundled_settings) -> None:
    result = run("brief", "--date", "2004-11-18", "--json", home=bundled_settings.home)
    data = json.loads(result.stdout)
    paragraph = data["paragraph"]
    quoted = re.sub(r" \(\d+ stories[^)]*\)$| \[\d+\]", "", without_editor_brackets(paragraph))
    assert "\n" not in paragraph and len(quoted.split()) <= 120 + 3 * len(data["citations"])  # + "Elsewhere,"…
    for citation in data["citations"]:
        assert f"[{citation['n']}]" in paragraph and citation["published_at"] == "2004-11-18"
        assert shown_as(citation["quote"], paragraph)  # verbatim, our bracketed dates and lead-ins aside


def test_brief_needs_topic_or_date(bundled_settings) -> None:
    result = run("brief", home=bundled_settings.home, check=False)
    assert result.returncode == 2 and "--topic, --date or --since" in result.stderr


def test_brief_over_a_date_range_as_markdown(bundled_settings) -> None:
    home = bundled_settings.home
    result = run("brief", "--since", "2004-11-17", "--until", "2004-11-18", "--json", home=home)
    data = json.loads(result.stdout)
    assert data["citations"] and {c["published_at"] for c in data["citations"]} <= {"2004-11-17", "2004-11-18"}
    markdown = run("brief", "--since", "2004-11-17", "--until", "2004-11-18", "--markdown", home=home).stdout
    assert "Sources:" in markdown and "\n- [1]" in markdown
    inverted = run("brief", "--since", "2004-11-19", "--until", "2004-11-18", home=home, check=False)
    assert inverted.returncode == 2 and "after --until" in inverted.stderr


def test_daily_writes_markdown_and_html_and_is_cron_safe(bundled_settings, tmp_path: Path) -> None:
    home = bundled_settings.home
    first = run("daily", "--date", "2004-11-18", "--out", str(tmp_path), home=home)
    text = (tmp_path / "2004-11-18.md").read_text()
    assert text.startswith("# Daily brief — 2004-11-18") and "Sources:" in text and "[1]" in text
    page = (tmp_path / "2004-11-18.html").read_text()
    assert page.startswith("<!doctype html>") and "<h2>" in page and "<script" not in page
    assert "daily 2004-11-18:" in first.stdout and "(written)" in first.stdout
    # Run again (as cron would): the same files, not rewritten, and a log line saying so.
    before = (tmp_path / "2004-11-18.md").stat().st_mtime_ns
    again = run("daily", "--date", "2004-11-18", "--out", str(tmp_path), home=home)
    assert "(unchanged)" in again.stdout and (tmp_path / "2004-11-18.md").stat().st_mtime_ns == before
    assert (tmp_path / "2004-11-18.md").read_text() == text


def test_daily_range_writes_a_file_per_day(bundled_settings, tmp_path: Path) -> None:
    result = run(
        "daily", "--since", "2004-11-17", "--until", "2004-11-19", "--out", str(tmp_path), home=bundled_settings.home
    )
    assert sorted(p.name for p in tmp_path.glob("*.md")) == ["2004-11-17.md", "2004-11-18.md", "2004-11-19.md"]
    assert result.stdout.count(" daily 2004-11-1") == 3
    bad = run("daily", "--date", "2004-11-18", "--since", "2004-11-17", home=bundled_settings.home, check=False)
    assert bad.returncode == 2


def test_ingest_reports_failures_by_file(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "ok.md").write_text("# Port strike ends\n\nDock workers returned to work on Monday after a deal.")
    (folder / "empty.txt").write_text("")
    result = run("ingest", str(folder), str(tmp_path / "missing"), home=tmp_path / "store")
    assert "added 1" in result.stdout and "failed 2" in result.stdout
    assert "empty.txt: empty file" in result.stderr and "no such file" in result.stderr
    again = run("ingest", str(folder), home=tmp_path / "store")
    assert "skipped 1" in again.stdout


def test_eval_json_metrics(bundled_settings) -> None:
    report = bundled_settings.home.parent / "eval-report-cli"
    result = run(
        "eval",
        str(ROOT / "evals" / "bundled.jsonl"),
        "--limit",
        "6",
        "--json",
        "--report",
        str(report),
        home=bundled_settings.home,
    )
    metrics = json.loads(result.stdout)
    for name in (
        "hits@1",
        "hits@5",
        "hits@10",
        "mrr@10",
        "answer_contains_gold",
        "multiple_choice_accuracy",
        "cited_article_is_gold",
        "abstention_rate",
        "citation_span_validity",
    ):
        assert name in metrics
    assert metrics["citation_span_validity"] == 1.0


# ---------------------------------------------------------------- timelines, dates that do not exist (issue 12)


def test_timeline_json_and_markdown(bundled_settings) -> None:
    home = bundled_settings.home
    data = json.loads(run("timeline", "--topic", "Airbus A380", "--json", home=home).stdout)
    assert data["topic"] == "Airbus A380"
    dates = [d["date"] for d in data["developments"]]
    assert len(dates) >= 5 and dates == sorted(dates)
    for development in data["developments"]:
        first = development["citations"][0]
        assert first["published_at"] == development["date"] and shown_as(first["quote"], development["text"])
        assert first["url"].startswith("https://en.wikinews.org/")
    window = run(
        "timeline", "--topic", "Airbus A380", "--since", "2007-01-01", "--until", "2007-12-31", "--json", home=home
    )
    developments = json.loads(window.stdout)["developments"]
    assert developments and all(d["date"].startswith("2007") for d in developments)
    markdown = run("timeline", "--topic", "Airbus A380", "--markdown", home=home).stdout
    assert markdown.startswith("## Airbus A380 — timeline") and "- **2005-01-18** — " in markdown
    assert "<https://en.wikinews.org/" in markdown
    text = run("timeline", "--topic", "Airbus A380", home=home).stdout
    assert "2007-10-15  The first A380 superjumbo" in text and "today [15 Oct 2007]" in text
    nothing = run("timeline", "--topic", "quantum cryptography in Antarctica", home=home, check=False)
    assert nothing.returncode == 1 and "Nothing in the corpus" in nothing.stdout


def test_brief_text_links_its_sources_and_dates_relative_days(bundled_settings) -> None:
    result = run("brief", "--topic", "Airbus A380", home=bundled_settings.home)
    assert result.stdout.startswith("In January 2005, ")
    assert "on Monday [19 Mar 2007]" in result.stdout
    assert "<https://en.wikinews.org/wiki/" in result.stdout.split("Sources:")[1]


def test_a_day_that_does_not_exist_is_named(bundled_settings) -> None:
    result = run("brief", "--date", "2004-02-30", home=bundled_settings.home, check=False)
    assert result.returncode == 2
    assert "2004-02-30: that day does not exist (February 2004 has 29 days)" in result.stderr
    assert "does not exist" in run("daily", "--date", "2005-13-01", home=bundled_settings.home, check=False).stderr


def test_a_day_with_articles_but_nothing_quotable_says_so(tmp_path: Path) -> None:
    records = tmp_path / "furniture.jsonl"
    records.write_text(
        '{"id": "f", "title": "Subscribe", "source": "Gazette", "published_at": "2021-05-05", '
        '"url": "https://example.com/f", "body": "Click here to subscribe to our newsletter today."}\n',
        encoding="utf-8",
    )
    run("ingest", str(records), home=tmp_path / "store")
    result = run("brief", "--date", "2021-05-05", home=tmp_path / "store", check=False)
    assert result.returncode == 1
    assert "1 article(s) stored for 2021-05-05, but none holds a sentence a note can quote: Subscribe" in result.stdout
    nothing = run("brief", "--date", "2021-05-06", home=tmp_path / "store", check=False)
    assert "Nothing in the corpus to brief on for 2021-05-06." in nothing.stdout
