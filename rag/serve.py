"""``newsbrief serve``: one warm process answers the ``newsbrief ask`` commands of a machine.

A cold ``ask`` spends ~3 s loading Chroma, the embedding model, spaCy and the BM25 index before an
answer that takes ~0.15 s warm; eight at once on two cores wait ~20 s each. With ``newsbrief
serve`` running and ``NEWSBRIEF_SERVER`` naming its socket, ``newsbrief ask`` sends its arguments,
environment and folder there and prints what comes back: the same text and exit code, produced by
the same CLI code in the warm process. Requests are answered one at a time (the GIL would
interleave them anyway). Any other command, or no server answering, runs in-process as before.

With ``NEWSBRIEF_SERVER=auto`` nobody has to start it: the first ``ask`` that finds no server
starts one for its user in the background (asks arriving meanwhile wait for it instead of each
loading everything), and the server exits after ``NEWSBRIEF_SERVER_IDLE`` seconds (900) with no ask.

The socket is a Unix socket only its owner can open (mode 0600), and it runs nothing but ``ask``.
This module is the ``newsbrief`` entry point, so it imports nothing heavy until it must.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import socket
import stat
import struct
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

ENV_PREFIXES = ("NEWSBRIEF_", "OPENAI_")  # what a request carries of the asker's environment
GLOBAL_OPTIONS_WITH_VALUE = frozenset({"--store", "--chroma", "--preset", "--llm"})
MAX_REQUEST_BYTES = 1 << 20
ANSWER_TIMEOUT_S = 300.0
REQUEST_TIMEOUT_S = 10.0
AUTO = "auto"  # NEWSBRIEF_SERVER=auto: the first ask that finds no server starts one
AUTO_IDLE_EXIT_S = 900.0  # an auto-started server exits after this long without an ask
AUTO_START_TIMEOUT_S = 120.0  # loading the full RealTime QA store takes ~4 s, ~30 s on busy cores
AUTO_RETRY_AFTER_S = 60.0  # after a failed start, asks answer in-process this long before trying again


def asked_command(argv: Sequence[str]) -> str | None:
    """The subcommand of a ``newsbrief`` command line, past the global options (None: none)."""
    index = _command_index(argv)
    return argv[index] if index < len(argv) else None


def _command_index(argv: Sequence[str]) -> int:
    """Where the subcommand stands in a command line (its length when there is none)."""
    skip = False
    for index, token in enumerate(argv):
        if skip:
            skip = False
        elif token in GLOBAL_OPTIONS_WITH_VALUE:
            skip = True
        elif not token.startswith("-"):
            return index
    return len(argv)


def main() -> None:
    """The ``newsbrief`` command: an ``ask`` goes to the warm server ``NEWSBRIEF_SERVER`` names."""
    argv = sys.argv[1:]
    named = os.environ.get("NEWSBRIEF_SERVER")
    if named and asked_command(argv) == "ask":
        path = auto_socket() if named == AUTO else Path(named)
        try:
            code = forward(path, argv) if path else None
            if code is None and path and named == AUTO:
                code = start_then_forward(path, argv)
        except KeyboardInterrupt:
            sys.exit(130)  # Ctrl-C while waiting: no traceback (a server being started goes on starting)
        if code is not None:
            sys.exit(code)
        where = path or "no private folder for its socket"
        print(f"(no newsbrief server answers at {where}: answering here)", file=sys.stderr)
    from rag.cli import app

    app(prog_name="newsbrief")


def forward(path: Path, argv: Sequence[str]) -> int | None:
    """Send one ``ask`` to the server at ``path``, print its output, return its exit code; None when
    no server listens there."""
    request = {
        "argv": list(argv),
        "env": {k: v for k, v in os.environ.items() if k.startswith(ENV_PREFIXES)},
        "cwd": os.getcwd(),
    }
    if not _own_socket(path):
        return None  # never send our environment (API keys) to a socket another user could have put there
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(ANSWER_TIMEOUT_S)
            conn.connect(str(path))
            if _peer_uid(conn) != os.getuid():
                return None
            conn.sendall(json.dumps(request).encode())
            conn.shutdown(socket.SHUT_WR)
            reply = json.loads(_read_all(conn) or b"null")
    except TimeoutError:
        print(f"error: the newsbrief server at {path} gave no answer in {ANSWER_TIMEOUT_S:.0f} s", file=sys.stderr)
        return 1
    except (OSError, ValueError):
        return None
    if not isinstance(reply, dict):
        return None
    sys.stdout.write(reply.get("stdout", ""))
    sys.stderr.write(reply.get("stderr", ""))
    return int(reply.get("code", 1))


def auto_socket() -> Path | None:
    """Where this user's auto-started server for this installation listens: a folder only they may
    use, in ``$XDG_RUNTIME_DIR`` or the temp folder (None when such a folder cannot be had). The name
    holds a key of the Python and the code, so another venv, or the code edited or pulled, gets a
    server of its own rather than an old one's answers."""
    folder = Path(os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir()) / f"newsbrief-{os.getuid()}"
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        info = folder.lstat()
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        return None  # made (or opened up) by someone else in a shared /tmp: not ours to listen in
    return folder / f"server-{_installation_key()}.sock"


def _installation_key() -> str:
    """A short hash of the interpreter, the package's folder and its files' last change."""
    import hashlib

    package = Path(__file__).resolve().parent
    changed = max((f.stat().st_mtime_ns for f in package.rglob("*") if f.suffix in (".py", ".json")), default=0)
    return hashlib.sha1(f"{sys.executable}|{package}|{changed}".encode()).hexdigest()[:10]


def start_then_forward(path: Path, argv: Sequence[str]) -> int | None:
    """Start a server at ``path`` for this ask's store, wait until it answers, and ask it.

    One server however many asks arrive at once: the first takes a lock and starts it, the others
    wait on the lock and then find it listening (it binds its socket only once warm). It runs
    detached, logs to a ``.log`` beside the socket, and exits when idle. None: it did not start.
    """
    import fcntl
    import subprocess

    log, failed = path.with_suffix(".log"), path.with_suffix(".failed")
    with open(path.with_suffix(".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released before asking: the asks queue at the server, not here
        if not listening(path):
            if failed.exists() and time.time() - failed.stat().st_mtime < AUTO_RETRY_AFTER_S:
                return None  # one that just failed to start would fail again: answer here
            options = _absolute_store(list(argv[: _command_index(argv)]), os.getcwd())
            idle = os.environ.get("NEWSBRIEF_SERVER_IDLE", str(AUTO_IDLE_EXIT_S))
            env = {k: v for k, v in os.environ.items() if k != "NEWSBRIEF_SERVER"}
            command = [sys.executable, "-m", "rag", *options, "serve", "--socket", str(path), "--idle-exit", idle]
            with open(log, "wb") as out:  # the last start's log only
                process = subprocess.Popen(
                    command, cwd="/", stdin=subprocess.DEVNULL, stdout=out, stderr=out, env=env, start_new_session=True
                )
            deadline = time.monotonic() + AUTO_START_TIMEOUT_S
            while not listening(path):
                if process.poll() is not None or time.monotonic() > deadline:
                    process.kill()  # one that never got ready must not linger
                    failed.touch()
                    print(f"(the newsbrief server did not start; see {log})", file=sys.stderr)
                    return None
                time.sleep(0.05)
            failed.unlink(missing_ok=True)
    return forward(path, argv)


def listening(path: Path) -> bool:
    """Does a server of ours accept connections at ``path``?"""
    if not _own_socket(path):
        return False
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(str(path))
        except OSError:
            return False
    return True


def _own_socket(path: Path) -> bool:
    """A socket (not any other file) that belongs to this user."""
    try:
        info = path.lstat()
    except OSError:
        return False
    return stat.S_ISSOCK(info.st_mode) and info.st_uid == os.getuid()


def _peer_uid(conn: socket.socket) -> int:
    """The user id of the process at the other end of a Unix socket (Linux ``SO_PEERCRED``)."""
    _pid, uid, _gid = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")))
    return uid


def _read_all(conn: socket.socket, limit: int | None = None) -> bytes:
    chunks = []
    size = 0
    while data := conn.recv(65536):
        chunks.append(data)
        size += len(data)
        if limit is not None and size > limit:
            raise ValueError(f"request over {limit} bytes")
    return b"".join(chunks)


# ---------------------------------------------------------------- the server


def serve(socket_path: Path, warm: Callable[[], None] | None = None, idle_exit: float | None = None) -> None:
    """Answer ``ask`` requests on ``socket_path`` until interrupted, or until ``idle_exit`` seconds
    pass without one; ``warm()`` first loads what answering needs."""
    import signal
    import socketserver

    _claim(socket_path)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # a plain `kill` also removes the socket
    if warm:
        warm()

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            if _peer_uid(self.request) != os.getuid():
                return  # another user: not answered (the socket's 0600 mode should already stop them)
            self.request.settimeout(REQUEST_TIMEOUT_S)  # a client that never finishes sending cannot stall the line
            try:
                raw = _read_all(self.request, MAX_REQUEST_BYTES)
                if not raw:
                    return  # a probe ("is a server listening?") sends nothing and waits for nothing
                reply = answer_request(json.loads(raw))
            except Exception as exc:  # a malformed request: say so, keep serving
                reply = {"stdout": "", "stderr": f"error: bad request to newsbrief serve: {exc}\n", "code": 2}
            with contextlib.suppress(OSError):  # an asker gone (Ctrl-C) before its answer: serve the next
                self.request.sendall(json.dumps(reply).encode())

    class Server(socketserver.UnixStreamServer):
        request_queue_size = 64  # eight analysts asking at once wait in line, not refused
        timeout = idle_exit  # None: wait for the next ask however long
        idle = False

        def handle_timeout(self) -> None:  # no ask for ``timeout`` seconds
            self.idle = True

    old_umask = os.umask(0o177)  # the socket is created 0600: only its owner may ask
    try:
        server = Server(str(socket_path), Handler)
    finally:
        os.umask(old_umask)
    try:
        while not server.idle:
            server.handle_request()  # one ask at a time, as serve_forever would
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        socket_path.unlink(missing_ok=True)


def _claim(socket_path: Path) -> None:
    """Remove a socket of ours left by a server that died; refuse one a live server listens on, and
    any path that is not such a socket (``--socket`` pointing at a real file must not delete it)."""
    if not socket_path.exists() and not socket_path.is_symlink():
        return
    if not _own_socket(socket_path):
        raise RuntimeError(f"{socket_path} exists and is not a socket of yours: give another --socket")
    if listening(socket_path):
        raise RuntimeError(f"a newsbrief server already listens on {socket_path}")
    socket_path.unlink(missing_ok=True)


def answer_request(request: dict) -> dict:
    """Run one ``ask`` command line through the CLI, in the asker's folder and environment."""
    argv = _absolute_store([str(a) for a in request.get("argv", [])], str(request.get("cwd") or os.getcwd()))
    if asked_command(argv) != "ask":
        return {"stdout": "", "stderr": "error: newsbrief serve answers `ask` only\n", "code": 2}
    out, err = io.StringIO(), io.StringIO()
    with _asker(request), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = _run_cli(argv)
    return {"stdout": out.getvalue(), "stderr": err.getvalue(), "code": code}


def _absolute_store(argv: list[str], cwd: str) -> list[str]:
    """``--store data`` as the asker meant it: the server keeps one store per path, so a relative
    path must not name another asker's store."""
    out = list(argv)
    for i, token in enumerate(out):
        if token == "--store" and i + 1 < len(out):
            out[i + 1] = str((Path(cwd) / Path(out[i + 1]).expanduser()).absolute())
        elif token.startswith("--store="):
            out[i] = "--store=" + str((Path(cwd) / Path(token.split("=", 1)[1]).expanduser()).absolute())
        if asked_command(out[: i + 1]) is not None:
            break
    return out


def _run_cli(argv: list[str]) -> int:
    from rag.cli import app

    try:
        app(args=argv, prog_name="newsbrief")
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    except Exception:
        traceback.print_exc()
        return 1
    return 0


@contextlib.contextmanager
def _asker(request: dict) -> Iterator[None]:
    """The asker's working folder and ``NEWSBRIEF_*``/``OPENAI_*`` variables, for one request."""
    env = {str(k): str(v) for k, v in dict(request.get("env", {})).items() if str(k).startswith(ENV_PREFIXES)}
    saved = {k: v for k, v in os.environ.items() if k.startswith(ENV_PREFIXES)}
    try:
        folder = os.getcwd()
    except FileNotFoundError:  # the folder this server was started in is gone
        folder = "/"
    try:
        for key in saved:
            del os.environ[key]
        os.environ.update(env)
        os.chdir(request.get("cwd") or folder)
        if "NEWSBRIEF_HOME" in os.environ:  # one store per folder, whichever folder the asker was in
            os.environ["NEWSBRIEF_HOME"] = str(Path(os.environ["NEWSBRIEF_HOME"]).expanduser().absolute())
        yield
    finally:
        os.chdir(folder)
        for key in [k for k in os.environ if k.startswith(ENV_PREFIXES)]:
            del os.environ[key]
        os.environ.update(saved)
