"""``newsbrief serve``: a warm process answers ``newsbrief ask`` from other shells, with the same
output and exit code as answering in-process, and nothing but ``ask``."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rag.serve import answer_request, asked_command
from tests.app_server import stop

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "What did Motegi plan to raise?"


def newsbrief(*args: str, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "rag", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


def listening(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(str(path))
        except OSError:
            return False
        return True


@pytest.fixture
def server(bundled_settings, tmp_path: Path):
    """A ``newsbrief serve`` on the bundled store; stopped (and killed if need be) whatever happens."""
    path = tmp_path / "nb.sock"
    env = {**os.environ, "NEWSBRIEF_HOME": str(bundled_settings.home), "NEWSBRIEF_LLM": "extractive"}
    env.pop("NEWSBRIEF_SERVER", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "rag", "serve", "--socket", str(path)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 180
        while not listening(path):
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        yield path, env, process
    finally:
        stop(process)


def test_an_ask_through_the_server_prints_what_a_local_ask_prints(server) -> None:
    path, env, _ = server
    local = newsbrief("ask", QUESTION, "--json", env=env)
    served = newsbrief("ask", QUESTION, "--json", env={**env, "NEWSBRIEF_SERVER": str(path)})
    assert local.returncode == served.returncode == 0, served.stderr
    assert json.loads(served.stdout) == json.loads(local.stdout)
    assert "answering here" not in served.stderr  # the server answered
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # only its owner can ask


def test_errors_keep_their_message_and_exit_code(server) -> None:
    path, env, _ = server
    served = newsbrief("ask", QUESTION, "--forget", env={**env, "NEWSBRIEF_SERVER": str(path)})
    assert served.returncode == 2 and "--forget needs --session" in served.stderr


def test_eight_asks_at_once_are_all_answered(server) -> None:
    path, env, _ = server
    asking = {**env, "NEWSBRIEF_SERVER": str(path)}
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "rag", "ask", QUESTION, "--json"],
            cwd=ROOT,
            env=asking,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(8)
    ]
    outputs = [run.communicate(timeout=300) for run in runs]
    assert all(run.returncode == 0 for run in runs), [err for _, err in outputs]
    assert len({json.dumps(json.loads(out), sort_keys=True) for out, _ in outputs}) == 1


def test_no_server_at_the_named_socket_answers_here(bundled_settings, tmp_path: Path) -> None:
    env = {**os.environ, "NEWSBRIEF_HOME": str(bundled_settings.home), "NEWSBRIEF_SERVER": str(tmp_path / "none")}
    done = newsbrief("ask", QUESTION, env=env)
    assert done.returncode == 0 and "East China Sea" in done.stdout
    assert "answering here" in done.stderr


def test_the_server_answers_ask_only() -> None:
    assert asked_command(["--store", "/tmp/x", "--preset", "fast", "ask", "q"]) == "ask"
    assert asked_command(["ingest", "corpus/"]) == "ingest"
    assert asked_command(["--help"]) is None
    refused = answer_request({"argv": ["ingest", "/etc"], "env": {}, "cwd": "/"})
    assert refused["code"] == 2 and "ask` only" in refused["stderr"]


def test_a_stopped_server_removes_its_socket(server) -> None:
    path, _, process = server
    process.terminate()
    process.wait(timeout=20)
    assert not path.exists()


def test_a_socket_path_that_is_a_file_is_neither_deleted_nor_asked(tmp_path: Path) -> None:
    """``--socket`` pointing at a real file must not remove it, and ``ask`` sends its environment
    (API keys) only to a socket of its own user."""
    from rag.serve import _claim, forward

    precious = tmp_path / "chroma.sqlite3"
    precious.write_text("data")
    with pytest.raises(RuntimeError, match="not a socket of yours"):
        _claim(precious)
    assert precious.read_text() == "data"
    assert forward(precious, ["ask", QUESTION]) is None  # not a socket: answered here instead


def test_a_relative_store_is_the_askers(tmp_path: Path) -> None:
    from rag.serve import _absolute_store

    argv = _absolute_store(["--store", "data", "ask", "--store", "q"], str(tmp_path))
    assert argv == ["--store", str(tmp_path / "data"), "ask", "--store", "q"]  # the question is left alone
