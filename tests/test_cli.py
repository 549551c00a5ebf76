"""The `newsbrief` command as a user runs it (subprocesses over the session's bundled store)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

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
    assert set(data) == {"question", "answer", "abstained", "citations"}
    assert data["abstained"] is False
    first = data["citations"][0]
    assert {"n", "doc_id", "title", "source", "published_at", "quote", "start", "end"} <= set(first)
    assert first["doc_id"] == SEED_ID and "East China Sea" in first["quote"]


def test_ask_text_has_markers_and_sources(bundled_settings) -> None:
    result = run("ask", "What did Motegi plan to raise?", home=bundled_settings.home)
    assert "[1]" in result.stdout and "Sources:" in result.stdout and "WION" in result.stdout


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
    assert "\n" not in paragraph and len(paragraph.split()) <= 120 + 2 * len(data["citations"])
    for citation in data["citations"]:
        assert f"[{citation['n']}]" in paragraph and citation["published_at"] == "2004-11-18"
        assert citation["quote"] in paragraph


def test_brief_needs_topic_or_date(bundled_settings) -> None:
    result = run("brief", home=bundled_settings.home, check=False)
    assert result.returncode == 2 and "--topic or --date" in result.stderr


def test_daily_writes_markdown(bundled_settings, tmp_path: Path) -> None:
    run("daily", "--date", "2004-11-18", "--out", str(tmp_path), home=bundled_settings.home)
    text = (tmp_path / "2004-11-18.md").read_text()
    assert text.startswith("# Daily brief — 2004-11-18") and "Sources:" in text and "[1]" in text


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
