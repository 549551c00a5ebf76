"""One frozen settings object for the whole pipeline.

Precedence (highest first): CLI flags → ``NEWSBRIEF_*`` environment variables → the chosen
preset → defaults. Every stage receives a :class:`Settings`; nothing reads the environment itself.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_home() -> Path:
    """Per-user data folder (XDG on Linux), overridable with ``NEWSBRIEF_HOME``."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "newsbrief"


class Settings(BaseSettings):
    """Everything a run can tune. Immutable: derive variants with :meth:`with_`."""

    model_config = SettingsConfigDict(env_prefix="NEWSBRIEF_", frozen=True, extra="ignore")

    # Where things live
    home: Path = Field(default_factory=default_home, description="Store folder (Chroma + indexes).")
    chroma_url: str | None = Field(None, description="http://host:port of a `chroma run` server; None = embedded.")
    collection: str = "newsbrief"

    # Chunking (tiktoken cl100k_base tokens)
    chunk_tokens: int = 200
    max_file_bytes: int = 20_000_000

    # Fetching URLs and feeds (ingest of http(s) sources)
    fetch_timeout: float = 15.0  # seconds per request (connect + read)
    fetch_max_bytes: int = 5_000_000  # a response larger than this is refused, not truncated
    fetch_teasers: bool = True  # a feed entry holding only a teaser: fetch its linked page
    fetch_max_pages: int = 100  # linked pages fetched per feed, at most (unchanged entries are not re-fetched)

    # Near-duplicates (the same wire story republished): stored once, linked to every source
    dedup: bool = True
    dedup_threshold: float = 0.8  # estimated Jaccard of word 5-shingles (MinHash) to count as the same story

    # Embedding
    embed_batch: int = 32  # texts per model call, at most
    embed_batch_tokens: int = 2048  # and at most this many padded tokens per call (bounds its memory)
    embed_max_tokens: int = 256
    embed_threads: int = 0  # model sessions run at once on a long input; 0: one per core (at most 4)
    # The header (title — source — date) in the embedded text of "every" chunk or only the "first";
    # BM25 indexes it with every chunk either way. "first" embeds ~10 % fewer tokens but dense-only
    # retrieval lost 0.02 hits@1 on a RealTime QA subset (bench/RESULTS.md, issue 14): opt-in.
    embed_header: Literal["every", "first"] = "every"

    # Retrieval
    k: int = 8
    fetch_k: int = 100  # candidates from each retriever before fusion
    hybrid: bool = True  # dense + BM25; False: dense only
    dense: bool = True  # False with hybrid: BM25 only (for ablations)
    recency_weight: float = 0.02  # bonus for an article published on the as-of day (≈ one list's top RRF score)
    recency_days: float = 14.0  # the bonus decays as exp(-age / recency_days)
    second_chunk_weight: float = 0.2  # an article's best chunk also scores this share of its second best
    reranker: str = "none"  # "sentences": re-order the top chunks by their best sentence (measured: does not pay)
    rerank_depth: int = 20
    redundancy: float = 0.5  # MMR: near-duplicate chunks of other articles lose this share of the top score
    # an article whose headline reads like the question gains this × their cosine; off: it ranks better
    # but the reader then answers more questions asked before their news (bench/RESULTS.md)
    title_weight: float = 0.0

    # Answering
    llm: Literal["extractive", "openai"] = "extractive"
    openai_model: str = "gpt-4o-mini"
    answer_sentences: int = 2
    min_support: float = 0.25  # best sentence score below this: the extractive answerer abstains

    # Briefing
    brief_words: int = 120

    def with_(self, **changes: object) -> Settings:
        """A copy with some fields replaced (None values are ignored, so CLI flags can pass through)."""
        data = self.model_dump()
        data.update({k: v for k, v in changes.items() if v is not None})
        return type(self).model_validate(data)

    @property
    def chroma_path(self) -> Path:
        return self.home / "chroma"


PRESETS: dict[str, dict[str, object]] = {
    "default": {},
    # Dense retrieval only, fewer candidates (the BM25 index is still built once per store change:
    # it holds the day and source columns dense search filters by).
    "fast": {"hybrid": False, "fetch_k": 40},
    # More candidates per question: slower, a little better on large corpora.
    "thorough": {"k": 10, "fetch_k": 200},
}


def load_settings(preset: str | None = None, **overrides: object) -> Settings:
    """Settings from a preset (``NEWSBRIEF_PRESET`` if not given) plus env vars plus overrides."""
    name = preset or os.environ.get("NEWSBRIEF_PRESET", "default")
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
    base = Settings()
    env_set = {f for f in Settings.model_fields if f"NEWSBRIEF_{f.upper()}" in os.environ}
    preset_values = {k: v for k, v in PRESETS[name].items() if k not in env_set}
    return base.with_(**preset_values, **overrides)
