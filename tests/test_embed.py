"""The embedder: token-budgeted batches bound memory without changing a single vector."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from rag.embed import DIMENSIONS, Embedder, token_batches


@given(
    lengths=st.lists(st.integers(min_value=1, max_value=300), max_size=80),
    batch_size=st.integers(min_value=1, max_value=40),
    batch_tokens=st.integers(min_value=1, max_value=10_000),
)
def test_token_batches_cover_every_text_once_within_both_limits(
    lengths: list[int], batch_size: int, batch_tokens: int
) -> None:
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    batches = token_batches(order, lengths, batch_size, batch_tokens)
    assert [i for batch in batches for i in batch] == order  # each once, order kept
    for batch in batches:
        assert 1 <= len(batch) <= batch_size
        padded = len(batch) * max(lengths[i] for i in batch)
        assert padded <= batch_tokens or len(batch) == 1  # a text over the budget goes alone


def test_long_texts_go_in_smaller_batches_than_short_ones() -> None:
    lengths = [20] * 64 + [256] * 64
    batches = token_batches(range(128), lengths, batch_size=32, batch_tokens=2048)
    assert [len(b) for b in batches] == [32, 32] + [8] * 8


def test_batching_does_not_change_the_vectors() -> None:
    texts = [
        "Japan and China agreed to open a business travel lane.",
        "",
        "Wang Yi met Toshimitsu Motegi in Tokyo. " * 60,  # over 256 wordpieces: truncated
        "Short.",
        "The foreign ministers discussed the Senkaku Islands and trade.",
    ]
    one_big_batch = Embedder(batch_size=32, batch_tokens=10**9).embed(texts)
    one_per_batch = Embedder(batch_size=32, batch_tokens=1).embed(texts)
    np.testing.assert_allclose(one_big_batch, one_per_batch, atol=2e-5)
    assert one_big_batch.shape == (len(texts), DIMENSIONS)
    np.testing.assert_allclose(np.linalg.norm(one_big_batch, axis=1), 1.0, atol=1e-5)
    assert Embedder().embed([]).shape == (0, DIMENSIONS)
