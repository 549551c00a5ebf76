"""A cold ``newsbrief ask`` imports only what answering needs (eight of them at once share 2 cores).

Measured with ``python -X importtime``: the app, charts, ingest formats, near-duplicate hashing,
evals and the OpenAI client stay unloaded (spaCy, loaded lazily by the answerer, is allowed).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

NOT_FOR_ASK = (
    "streamlit",
    "matplotlib",
    "pandas",
    "datasketch",
    "langchain_openai",
    "openai",
    "trafilatura",
    "pypdf",
    "feedparser",
    "dateparser",
    "rag.ingest",
    "rag.index",
    "rag.fetch",
    "rag.brief",
    "rag.render",
    "rag.evaluate",
)


def imported_modules(stderr: str) -> set[str]:
    return set(re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s*(\S+)$", stderr, re.MULTILINE))


def test_a_cold_ask_imports_nothing_it_does_not_use(bundled_settings) -> None:
    env = {**os.environ, "NEWSBRIEF_HOME": str(bundled_settings.home), "NEWSBRIEF_LLM": "extractive"}
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "rag", "ask", "What did Motegi plan to raise?"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "East China Sea" in done.stdout
    modules = imported_modules(done.stderr)
    assert "rag.conversation" in modules and "chromadb" in modules  # the parse found the imports
    loaded = sorted(m for m in modules if any(m == name or m.startswith(name + ".") for name in NOT_FOR_ASK))
    assert not loaded, loaded
