"""Shared fixtures: one ingest of the bundled corpus per test session, and no network but loopback."""

from __future__ import annotations

import ipaddress
import os
import socket
from pathlib import Path

import pytest

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
# The WION page the project began with; its id comes from its URL (rag.ingest.url_id).
SEED_FILE = CORPUS / "2020-11-24_wion_china-foreign-minister-visits-japan.txt"
SEED_URL = "https://www.wionews.com/world/chinas-foreign-minister-visits-japan-to-seek-cooperation-amid-regional-tensions-345113"
SEED_ID = "wionews-com-world-chinas-foreign-minister-visits-japan-to-seek-cooperation-amid-0de7a870"
SHARED = ROOT.parent / "shared"
DATASETS = SHARED / "datasets"

_real_connect = socket.socket.connect


def _loopback_only(self: socket.socket, address: object) -> object:
    """Tests talk to local servers only: any other address is a bug in the test or the code."""
    if isinstance(address, tuple) and self.family in (socket.AF_INET, socket.AF_INET6):
        host = address[0]
        try:
            ok = ipaddress.ip_address(host).is_loopback
        except ValueError:
            ok = host == "localhost"
        if not ok:
            raise OSError(f"network access to {host} blocked in tests")
    return _real_connect(self, address)


socket.socket.connect = _loopback_only  # type: ignore[method-assign]


@pytest.fixture(scope="session")
def bundled_settings(tmp_path_factory: pytest.TempPathFactory):
    """Settings for a store holding the bundled corpus (ingested once per session)."""
    from rag.index import ingest_paths
    from rag.settings import load_settings

    home = tmp_path_factory.mktemp("bundled-store")
    settings = load_settings(home=home)
    report = ingest_paths([CORPUS], settings)
    assert report.failed == 0, report.errors
    return settings


@pytest.fixture(scope="session")
def bundled_store(bundled_settings):
    from rag.store import open_store

    return open_store(bundled_settings)


@pytest.fixture
def fresh_settings(tmp_path: Path):
    """Settings for an empty store of one's own."""
    from rag.settings import load_settings

    return load_settings(home=tmp_path / "store")


@pytest.fixture
def llm(monkeypatch: pytest.MonkeyPatch):
    """A fake OpenAI-compatible server, with OPENAI_BASE_URL / OPENAI_API_KEY pointing at it."""
    from fake_openai import FakeOpenAI

    with FakeOpenAI() as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "test")
        yield server
