"""``newsbrief serve``: a warm process answers ``newsbrief ask`` from other shells, with the same
output and exit code as answering in-process, and nothing but ``ask``."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from rag.serve import answer_request, asked_command, listening
from tests.app_server import stop

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "What did Motegi plan to raise?"


def newsbrief(*args: str, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "rag", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


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


def _asks_at_once(count: int, env: dict[str, str]) -> list[tuple[int, str, str]]:
    """``count`` ``newsbrief ask`` processes started together: exit code, stdout, stderr of each."""
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "rag", "ask", QUESTION, "--json"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(count)
    ]
    outputs = [run.communicate(timeout=300) for run in runs]
    return [(run.returncode, out, err) for run, (out, err) in zip(runs, outputs, strict=True)]


def test_eight_asks_at_once_are_all_answered(server) -> None:
    path, env, _ = server
    answers = _asks_at_once(8, {**env, "NEWSBRIEF_SERVER": str(path)})
    assert all(code == 0 for code, _, _ in answers), [err for _, _, err in answers]
    assert len({json.dumps(json.loads(out), sort_keys=True) for _, out, _ in answers}) == 1


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


def test_auto_starts_one_server_for_asks_arriving_together_which_exits_when_idle(bundled_settings) -> None:
    """``NEWSBRIEF_SERVER=auto``: three asks find no server; one starts it, all three are answered by
    it as a local ask would be, and it goes away by itself once idle."""
    import psutil

    runtime = Path(tempfile.mkdtemp(prefix="nb", dir="/tmp"))  # short: a socket path has ~100 bytes
    folder = runtime / f"newsbrief-{os.getuid()}"
    env = {**os.environ, "NEWSBRIEF_HOME": str(bundled_settings.home), "NEWSBRIEF_LLM": "extractive"}
    env.update({"NEWSBRIEF_SERVER": "auto", "XDG_RUNTIME_DIR": str(runtime), "NEWSBRIEF_SERVER_IDLE": "4"})
    try:
        local = newsbrief("ask", QUESTION, "--json", env={**env, "NEWSBRIEF_SERVER": ""})
        answers = _asks_at_once(3, env)
        assert [code for code, _, _ in answers] == [0, 0, 0], [err for _, _, err in answers]
        assert all(json.loads(out) == json.loads(local.stdout) for _, out, _ in answers)
        assert not any("answering here" in err for _, _, err in answers)
        [socket_path] = folder.glob("server-*.sock")
        assert socket_path.with_suffix(".log").read_text().count("ready:") == 1  # one server for the three
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        assert stat.S_IMODE(socket_path.stat().st_mode) == 0o600
        deadline = time.monotonic() + 60
        while socket_path.exists():  # idle for 4 s: it exits and removes its socket
            assert time.monotonic() < deadline, "the auto-started server did not exit when idle"
            time.sleep(0.2)
    finally:
        for process in psutil.process_iter(["cmdline"]):
            if any(str(folder) in part for part in process.info["cmdline"] or []):
                process.kill()
        shutil.rmtree(runtime, ignore_errors=True)


def test_auto_never_listens_in_a_folder_others_may_use(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rag.serve import auto_socket

    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    path = auto_socket()
    assert path is not None and path.parent == tmp_path / f"newsbrief-{os.getuid()}"
    assert path.name.startswith("server-") and path.suffix == ".sock"  # one per installation and code
    (tmp_path / f"newsbrief-{os.getuid()}").chmod(0o777)  # opened up (or planted) in a shared /tmp
    assert auto_socket() is None  # then `ask` answers in-process


def test_auto_does_not_retry_a_server_that_just_failed_to_start(bundled_settings, tmp_path: Path) -> None:
    """An empty store: the server cannot start, the ask says so and answers in-process; the next ask
    does not try again at once (no second start, no wait)."""
    runtime = Path(tempfile.mkdtemp(prefix="nb", dir="/tmp"))
    env = {**os.environ, "NEWSBRIEF_HOME": str(tmp_path / "empty"), "NEWSBRIEF_SERVER": "auto"}
    env["XDG_RUNTIME_DIR"] = str(runtime)
    try:
        first = newsbrief("ask", QUESTION, env=env)
        assert "did not start" in first.stderr and "answering here" in first.stderr
        second = newsbrief("ask", QUESTION, env=env)
        assert "did not start" not in second.stderr and "answering here" in second.stderr
        assert first.returncode == second.returncode != 0  # the in-process answer: the store is empty
    finally:
        shutil.rmtree(runtime, ignore_errors=True)
