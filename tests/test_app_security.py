"""Who can reach the app and what they may change: loopback by default, read-only unless the
operator sets an admin token, uploads capped at the ingest's size limit."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import psutil
import pytest
from app_server import free_port, stop

from rag.cli import app_command
from rag.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # `ui/` sits next to app.py

from ui.common import ADMIN_TOKEN, token_matches  # noqa: E402

DEFAULT_LIMIT_MIB = math.ceil(Settings.model_fields["max_file_bytes"].default / 2**20)


def test_streamlit_config_binds_loopback_and_caps_uploads_at_the_ingest_limit() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["address"] == "127.0.0.1"
    assert config["server"]["maxUploadSize"] == DEFAULT_LIMIT_MIB == 20


def test_newsbrief_app_passes_the_same_address_and_cap(tmp_path: Path) -> None:
    command = app_command(load_settings(home=tmp_path), 8501, "127.0.0.1")
    options = dict(zip(command[5::2], command[6::2], strict=False))
    assert options["--server.address"] == "127.0.0.1"
    assert options["--server.maxUploadSize"] == "20"
    small = app_command(load_settings(home=tmp_path, max_file_bytes=3_000_000), 8501, "0.0.0.0")
    assert small[small.index("--server.maxUploadSize") + 1] == "3"
    assert small[small.index("--server.address") + 1] == "0.0.0.0"  # only when asked for


def test_newsbrief_app_defaults_to_loopback() -> None:
    from rag.cli import run_app

    default = run_app.__defaults__ or ()
    assert "127.0.0.1" in [getattr(d, "default", d) for d in default], default


def test_the_admin_token_must_match_exactly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ADMIN_TOKEN, raising=False)
    assert not token_matches("")  # no token set: writing can never be switched on
    assert not token_matches("anything")
    monkeypatch.setenv(ADMIN_TOKEN, "s3cret")
    assert token_matches("s3cret")
    assert not token_matches("s3cre") and not token_matches("s3cret ") and not token_matches("")


def _listening(pid: int) -> list[str]:
    return sorted(c.laddr.ip for c in psutil.Process(pid).net_connections(kind="tcp") if c.status == psutil.CONN_LISTEN)


def test_streamlit_run_app_py_listens_on_loopback_only(tmp_path: Path) -> None:
    """Plain `streamlit run app.py` from the repository (no address flag): 127.0.0.1, never 0.0.0.0."""
    env = {**os.environ, "NEWSBRIEF_HOME": str(tmp_path / "store")}
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(free_port())]
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not _listening(proc.pid):
            assert proc.poll() is None, "streamlit exited"
            assert time.monotonic() < deadline, "streamlit did not listen within 60 s"
            time.sleep(0.3)
        assert _listening(proc.pid) == ["127.0.0.1"]
    finally:
        stop(proc)
