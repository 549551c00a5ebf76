"""Client/server mode: a real ``chroma run`` on 127.0.0.1, ingested into and queried over HTTP.

The server is started once for this module and always stopped (terminate, then kill). Each test
uses its own store folder: ``open_store`` caches one Store per (home, server, collection).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from rag.answer import ask
from rag.evaluate import citation_is_valid
from rag.index import IngestReport, ingest_paths
from rag.settings import Settings, load_settings
from rag.store import _STORES, open_store

pytestmark = pytest.mark.server

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
SEED_ID = "wionews-com-world-chinas-foreign-minister-visits-japan-to-seek-cooperation-amid-0de7a870"
SEED_FILE = CORPUS / "2020-11-24_wion_china-foreign-minister-visits-japan.txt"
FILES = [SEED_FILE, *sorted((CORPUS / "wikinews").glob("*.txt"))[:10]]
MOTEGI = "What did Motegi plan to raise?"
CHROMA = Path(sys.executable).parent / "chroma"
STARTUP_SECONDS = 60


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def heartbeat(url: str) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy
    try:
        with opener.open(f"{url}/api/v2/heartbeat", timeout=2) as response:
            return response.status == 200 and "nanosecond heartbeat" in json.loads(response.read())
    except (OSError, ValueError, urllib.error.URLError):
        return False


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def start_chroma(data: Path, log_path: Path) -> tuple[subprocess.Popen, str]:
    """Start ``chroma run`` and wait for its heartbeat; retries on a port lost to a race."""
    last_error = "not started"
    for _attempt in range(3):
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        command = [str(CHROMA), "run", "--path", str(data), "--host", "127.0.0.1", "--port", str(port)]
        env = dict(os.environ, ANONYMIZED_TELEMETRY="False", NO_COLOR="1")
        with log_path.open("ab") as log:
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
        try:
            deadline = time.monotonic() + STARTUP_SECONDS
            while time.monotonic() < deadline:
                if heartbeat(url):
                    return process, url
                if process.poll() is not None:
                    break
                time.sleep(0.2)
            last_error = (
                f"exited with code {process.returncode}"
                if process.poll() is not None
                else f"no heartbeat within {STARTUP_SECONDS} s"
            )
        except BaseException:
            stop(process)
            raise
        stop(process)
    tail = log_path.read_text(errors="replace")[-3000:]
    raise RuntimeError(f"chroma server did not start ({last_error}); log tail:\n{tail}")


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not CHROMA.exists():
        pytest.skip(f"no chroma executable at {CHROMA}")
    folder = tmp_path_factory.mktemp("chroma-server")
    process, url = start_chroma(folder / "data", folder / "server.log")
    try:
        yield url
    finally:
        stop(process)
        for key in [k for k in _STORES if k[1] == url]:  # those clients point at a dead server now
            _STORES.pop(key, None)


@pytest.fixture(scope="module")
def ingested(chroma_url: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, IngestReport]:
    settings = load_settings(home=tmp_path_factory.mktemp("server-client"), chroma_url=chroma_url)
    report = ingest_paths(FILES, settings)
    return settings, report


def test_ingest_goes_to_the_server(ingested: tuple[Settings, IngestReport], chroma_url: str) -> None:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    settings, report = ingested
    assert report.failed == 0, report.errors
    assert (report.added, report.updated, report.skipped) == (len(FILES), 0, 0)
    assert not settings.chroma_path.exists()  # nothing embedded was created beside the server
    port = int(chroma_url.rsplit(":", 1)[1])
    other = chromadb.HttpClient(host="127.0.0.1", port=port, settings=ChromaSettings(anonymized_telemetry=False))
    assert other.get_collection(settings.collection).count() == report.chunks > 0


def test_ask_over_the_server_cites_wion(ingested: tuple[Settings, IngestReport]) -> None:
    settings, _ = ingested
    store = open_store(settings)
    answer = ask(store, settings, MOTEGI)
    assert not answer.abstained, answer.answer
    assert any(c.doc_id == SEED_ID for c in answer.citations), answer.citations
    assert any("East China Sea" in c.quote for c in answer.citations), answer.citations
    assert all(citation_is_valid(store, c) for c in answer.citations)


def test_reingest_from_another_client_skips_everything(
    ingested: tuple[Settings, IngestReport], chroma_url: str, tmp_path: Path
) -> None:
    settings = load_settings(home=tmp_path / "another-client", chroma_url=chroma_url)
    report = ingest_paths(FILES, settings)
    assert (report.added, report.updated, report.skipped, report.failed) == (0, 0, len(FILES), 0)
    assert report.chunks == 0


def test_cli_ask_against_the_server(ingested: tuple[Settings, IngestReport], chroma_url: str, tmp_path: Path) -> None:
    # A fresh store folder: the CLI rebuilds its BM25 twin from the server alone.
    command = [
        sys.executable,
        "-m",
        "rag",
        "--chroma",
        chroma_url,
        "--store",
        str(tmp_path / "cli"),
        "ask",
        MOTEGI,
        "--json",
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, cwd=ROOT, timeout=120, env=dict(os.environ, NO_COLOR="1")
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    assert result["abstained"] is False
    assert any(c["doc_id"] == SEED_ID and "East China Sea" in c["quote"] for c in result["citations"])
    assert not (tmp_path / "cli" / "chroma").exists()


SERVER_SNAPSHOT = """
import json, sys
from rag.settings import load_settings
from rag.store import open_store
store = open_store(load_settings(home=sys.argv[1], chroma_url=sys.argv[2]))
ids, _, metas = store.get_all(include=["metadatas"])
markers = {m["article_id"]: m["n_chunks"] for m in metas if m["index"] == 0}
per_article = {}
for m in metas:
    per_article[m["article_id"]] = per_article.get(m["article_id"], 0) + 1
print(json.dumps({"n_records": len(ids), "unique": len(set(ids)), "markers": markers, "per_article": per_article}))
"""


def test_server_stopped_mid_ingest_then_restarted_ends_complete(tmp_path: Path) -> None:
    """Kill the server while an ingest writes to it, restart it on the same data, re-run: the store
    is complete (every article whole) with no duplicate chunk, and a third run writes nothing."""
    if not CHROMA.exists():
        pytest.skip(f"no chroma executable at {CHROMA}")
    files = sorted((CORPUS / "wikinews").glob("*.txt"))[:50]
    env = dict(os.environ, NO_COLOR="1", ORT_DISABLE_TELEMETRY="1", ANONYMIZED_TELEMETRY="False")

    def ingest(url: str) -> subprocess.Popen:
        command = [sys.executable, "-m", "rag", "--chroma", url, "--store", str(tmp_path / "client"), "ingest", "-q"]
        return subprocess.Popen(
            [*command, *map(str, files)], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    server, url = start_chroma(tmp_path / "data", tmp_path / "server.log")
    try:
        first = ingest(url)
        deadline = time.monotonic() + 120
        # Stop the server once the ingest has started writing (its collection exists and fills up).
        while time.monotonic() < deadline and first.poll() is None:
            if chunk_count(url) >= 5:
                break
            time.sleep(0.2)
        stop(server)
        out, err = first.communicate(timeout=300)
        assert first.returncode != 0, "the ingest should fail when its server goes away"
        assert "Traceback" not in err, err[-3000:]
        assert "Chroma server" in err and "run the ingest again" in err, err[-2000:]

        server, url = start_chroma(tmp_path / "data", tmp_path / "server.log")
        second = ingest(url)
        out, err = second.communicate(timeout=600)
        assert second.returncode == 0, err[-3000:]
        done = subprocess.run(
            [sys.executable, "-c", SERVER_SNAPSHOT, str(tmp_path / "check"), url],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=env,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        state = json.loads(done.stdout)
        assert len(state["markers"]) == len(files)
        assert state["n_records"] == state["unique"] == sum(state["markers"].values())
        assert state["per_article"] == state["markers"]
        third = ingest(url)
        out, err = third.communicate(timeout=300)
        assert third.returncode == 0 and "0 chunks written" in out, (out, err[-2000:])
    finally:
        stop(server)


def chunk_count(url: str) -> int:
    """Chunks in the newsbrief collection on the server (0 while it does not exist yet)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    port = int(url.rsplit(":", 1)[1])
    try:
        client = chromadb.HttpClient(host="127.0.0.1", port=port, settings=ChromaSettings(anonymized_telemetry=False))
        return client.get_collection("newsbrief").count()
    except Exception:
        return 0
