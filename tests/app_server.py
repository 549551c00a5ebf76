"""The real app on a loopback port, and the headless Chromium that drives it: shared by the browser
tests, the app's security tests and ``bench/load.py``. Never downloads a browser."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")  # Debian's package (`make chromium`)
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
QUIET_ENV = {"ORT_DISABLE_TELEMETRY": "1", "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"}
START_TIMEOUT = 90  # seconds for `streamlit run` to answer /_stcore/health


class AppDidNotStart(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(url: str) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never via a proxy
    try:
        with opener.open(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200 and response.read().decode().strip() == "ok"
    except (urllib.error.URLError, OSError):
        return False


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Terminate, then kill if it will not go; always reaped."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=15)


def start_app(home: Path, log_path: Path, **env_extra: str) -> tuple[subprocess.Popen[bytes], str]:
    """`streamlit run app.py` on a free loopback port over the store in ``home``; raises
    :class:`AppDidNotStart` (with the log) when it is not healthy in time."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port)]
    command += ["--server.headless", "true", "--browser.gatherUsageStats", "false"]
    command += ["--server.address", "127.0.0.1", "--server.fileWatcherType", "none"]
    env = {**os.environ, **QUIET_ENV, "NEWSBRIEF_HOME": str(home), **env_extra}
    with log_path.open("wb") as log:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not healthy(url):
            if proc.poll() is not None or time.monotonic() > deadline:
                why = (
                    f"exited with {proc.returncode}" if proc.poll() is not None else f"not healthy in {START_TIMEOUT}s"
                )
                raise AppDidNotStart(f"streamlit {why}:\n{log_path.read_text(errors='replace')[-3000:]}")
            time.sleep(0.5)
    except BaseException:
        stop(proc)
        raise
    return proc, url


@contextmanager
def running_app(home: Path, log_path: Path, **env_extra: str) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """:func:`start_app`, always stopped."""
    proc, url = start_app(home, log_path, **env_extra)
    try:
        yield proc, url
    finally:
        stop(proc)
