"""Ingest at scale: one ingest per store at a time (lock file), and --prune of deleted source files."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from rag.index import IngestBusy, ingest_lock, ingest_paths, stale_articles
from rag.ingest import path_id
from rag.settings import Settings
from rag.store import open_store
from tests.conftest import ROOT


def write_article(folder: Path, stem: str, title: str) -> Path:
    """A tiny article in the Wikinews layout: title, source, ISO date, blank line, body."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem}.txt"
    path.write_text(f"{title}\nWikinews\n2021-05-0{len(stem) % 9 + 1}\n\n{title} happened on Monday, officials said.\n")
    return path


def test_second_ingest_stops_at_once_naming_the_lock(fresh_settings: Settings, tmp_path: Path) -> None:
    write_article(tmp_path / "in", "harbour", "Harbour reopens")
    with ingest_lock(fresh_settings) as lock_path, pytest.raises(IngestBusy) as caught:
        ingest_paths([tmp_path / "in"], fresh_settings)
    message = str(caught.value)
    assert str(lock_path) in message and f"PID {os.getpid()}" in message
    assert lock_path == fresh_settings.home / "ingest.lock"


def test_ingest_waits_for_the_lock_to_be_released(fresh_settings: Settings, tmp_path: Path) -> None:
    write_article(tmp_path / "in", "harbour", "Harbour reopens")
    held, release = threading.Event(), threading.Event()

    def holder() -> None:
        with ingest_lock(fresh_settings):
            held.set()
            release.wait(10)

    thread = threading.Thread(target=holder)
    thread.start()
    assert held.wait(10)
    threading.Timer(1.0, release.set).start()
    report = ingest_paths([tmp_path / "in"], fresh_settings, wait_seconds=30)
    thread.join(10)
    assert report.added == 1


def test_cli_second_ingest_exits_non_zero_with_message(fresh_settings: Settings, tmp_path: Path) -> None:
    write_article(tmp_path / "in", "harbour", "Harbour reopens")
    env = dict(os.environ, NEWSBRIEF_HOME=str(fresh_settings.home), ORT_DISABLE_TELEMETRY="1")
    env.pop("NEWSBRIEF_CHROMA_URL", None)
    with ingest_lock(fresh_settings):
        result = subprocess.run(
            [sys.executable, "-m", "rag", "ingest", str(tmp_path / "in"), "-q"],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=300,
        )
    assert result.returncode != 0
    assert "another ingest is running" in result.stderr and "ingest.lock" in result.stderr
    assert f"PID {os.getpid()}" in result.stderr and "Traceback" not in result.stderr


def test_prune_removes_only_deleted_files_under_the_given_roots(fresh_settings: Settings, tmp_path: Path) -> None:
    folder, other = tmp_path / "a", tmp_path / "b"
    for stem, title in [("ports", "Ports strike"), ("rail", "Rail deal"), ("grain", "Grain prices fall")]:
        write_article(folder, stem, title)
    write_article(other, "mine", "Mine closes")
    ingest_paths([folder, other], fresh_settings)
    store = open_store(fresh_settings)
    before = store.generation
    (folder / "rail.txt").unlink()
    (other / "mine.txt").unlink()  # outside the pruned root: must stay

    report = ingest_paths([folder], fresh_settings, prune=True)

    assert report.pruned == 1 and "pruned 1" in report.summary()
    store = open_store(fresh_settings)
    kept = [folder / "grain.txt", other / "mine.txt", folder / "ports.txt"]
    assert sorted(a["article_id"] for a in store.list_articles()) == sorted(path_id(p) for p in kept)
    assert store.article_chunks(path_id(folder / "rail.txt")) == []
    assert store.generation != before
    assert ingest_paths([folder], fresh_settings).pruned is None  # not asked: no "pruned" in the summary


def test_stale_articles_pure(tmp_path: Path) -> None:
    root = tmp_path / "news"
    kept = write_article(root, "kept", "Kept story")
    outside = tmp_path / "elsewhere" / "gone.txt"
    stored = [
        {"article_id": "kept", "path": str(kept)},
        {"article_id": "gone", "path": str(root / "sub" / "gone.txt")},
        {"article_id": "outside", "path": str(outside)},
        {"article_id": "sibling", "path": str(tmp_path / "news-old" / "x.txt")},  # shares a prefix only
        {"article_id": "nopath", "path": ""},
    ]
    assert stale_articles(stored, [root]) == ["gone"]
    assert stale_articles(stored, [root / "sub" / "gone.txt"]) == []  # a missing root never prunes
    assert stale_articles(stored, [tmp_path / "missing"]) == []
    assert stale_articles(stored, []) == []
