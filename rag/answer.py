"""(question, evidence) → Answer. Two generators behind one interface, composed with LCEL.

- ``extractive`` (default, offline): score every sentence of the retrieved chunks against the
  question (meaning, shared words, and the kind of fact asked for), quote the best, cite it.
- ``openai`` (any OpenAI-compatible server): the model writes from numbered, fenced passages;
  its ``[n]`` markers are parsed, mapped to the passage sentence that supports the claim, and
  claims that their passage does not support are flagged.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from langchain_core.runnables import Runnable, RunnableLambda

from rag.cite import (
    Sentence,
    content_terms,
    is_supported,
    lexical_support,
    looks_like_instructions,
    make_citation,
    numbers,
    proper_names,
    sentences_of,
)
from rag.embed import embedder_for, get_embedder
from rag.retrieve import Query, retrieve
from rag.settings import Settings
from rag.store import Store
from rag.types import Answer, Citation, Evidence

PROMPTS = Path(__file__).resolve().parent.parent / "prompts"
_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
_WHEN = re.compile(
    rf"\b({_MONTHS}|monday|tuesday|wednesday|thursday|friday|saturday|sunday|\d{{4}}|yesterday|today)\b", re.I
)
_NUMERIC = re.compile(
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|hundred|thousand|million|billion|percent)\b", re.I
)


def not_found(question: str, searched: str) -> Answer:
    text = f"I could not find an answer to that in the corpus (searched {searched})."
    return Answer(question=question, answer=text, abstained=True, searched=searched)


# ---------------------------------------------------------------- scoring sentences


@dataclass(frozen=True)
class ScoredSentence:
    sentence: Sentence
    score: float
    lexical: float


# How a sentence's answer score is made (measured on RealTime QA dev, see evals/README.md): the share
# of the question's words it holds, whether it holds the kind of fact asked for, and how high its
# chunk ranked. Sentence embeddings were tried and did not help once retrieval ranks the chunks by
# meaning: they cost ~250 ms an answer, so only multiple choice (which needs them) uses them.
LEXICAL_WEIGHT = 0.35
CUE_WEIGHT = 0.2
RANK_WEIGHT = 0.15


_QUANTITY = re.compile(
    r"\bhow (many|much|long|old|far|big|high|fast)\b|\bwhat (was |is |were |are )?(the )?"
    r"(percentage|number|amount|magnitude|size|price|cost|rate|total|toll|score|age|temperature|sum|value)\b",
    re.IGNORECASE,
)


_SAY_QUESTION = re.compile(
    r"\bwhat (did|does|do|has|have|will) .{0,60}\b(say|said|tell|told|respond|reply|argue|claim)\b"
)
_SPEECH = re.compile(
    r"[\"“”]|\b(said|says|told|stressed|added|noted|warned|urged|stated|argued|insisted|announced|declared)\b",
    re.IGNORECASE,
)


def question_kind(question: str) -> str:
    """The kind of fact asked for: number, quote ("what did X say"), who, when, where, which (a named thing), what."""
    q = question.lower()
    if _QUANTITY.search(q):
        return "number"
    if _SAY_QUESTION.search(q):
        return "quote"
    for kind in ("who", "when", "where", "which"):
        if re.search(rf"\b{kind}\b", q):
            return kind
    return "what"


def cue_score(kind: str, sentence: str, question: str) -> float:
    """Does the sentence hold the kind of fact asked for?"""
    if kind == "number":
        return 1.0 if _NUMERIC.search(sentence) else 0.0
    if kind == "when":
        return 1.0 if _WHEN.search(sentence) else 0.0
    if kind == "quote":
        return 1.0 if _SPEECH.search(sentence) else 0.0
    if kind in {"who", "where", "which"}:
        new_names = proper_names(sentence) - proper_names(question) - set(content_terms(question))
        return 1.0 if new_names else 0.0
    return 0.0


def score_sentences(question: str, evidence: list[Evidence]) -> tuple[ScoredSentence, ...]:
    """Sentences of the evidence, best answer candidates first (memoised: answer and choice share it)."""
    return _score_sentences(question, tuple(evidence))


MIN_WORDS = 5  # shorter "sentences" are captions and datelines ("General Motors logo.")


def _is_question(text: str) -> bool:
    return text.rstrip("\"”’' )").endswith("?")


@lru_cache(maxsize=16)
def _score_sentences(question: str, evidence: tuple[Evidence, ...]) -> tuple[ScoredSentence, ...]:
    kind = question_kind(question)
    scored = []
    for sentence in sentences_of(list(evidence)):
        if (
            len(sentence.text.split()) < MIN_WORDS
            or _is_question(sentence.text)
            or looks_like_instructions(sentence.text)
        ):
            continue
        lexical = lexical_support(question, sentence.text)
        score = (
            LEXICAL_WEIGHT * lexical
            + CUE_WEIGHT * cue_score(kind, sentence.text, question)
            + RANK_WEIGHT / (1 + sentence.evidence_index)
        )
        scored.append(ScoredSentence(sentence, score, lexical))
    return tuple(sorted(scored, key=lambda s: -s.score))


_YEAR = re.compile(r"^(19|20)\d\d$")


def covers_question(question: str, sentence: str, ev: Evidence) -> bool:
    """Years and most names the question insists on must be in the chunk or its header.

    Other numbers are not required: questions round or restate them ("more than $11 million"),
    and the chunk holding the answer need not repeat them.
    """
    haystack = f"{ev.title} {ev.source} {ev.published_at} {ev.text}".lower()
    years = {n for n in numbers(question) if _YEAR.match(n)}
    if years and not years <= numbers(haystack):
        return False
    names = proper_names(question)
    if not names:
        return True
    # A 4-letter prefix lets demonyms match their country (Chinese/China, Japanese/Japan).
    found = sum(1 for n in names if (n if len(n) < 5 else n[:4]) in haystack)
    return found / len(names) >= 0.5


# ---------------------------------------------------------------- extractive generator


SECOND_SENTENCE_SHARE = 0.8  # a second sentence is quoted when it scores this close to the best


def extractive_answer(question: str, evidence: list[Evidence], settings: Settings, searched: str = "") -> Answer:
    scored = score_sentences(question, evidence)
    best = [s for s in scored if covers_question(question, s.sentence.text, evidence[s.sentence.evidence_index])]
    if not best or best[0].score < settings.min_support:
        return not_found(question, searched or "the corpus")
    chosen = [best[0]]
    for candidate in best[1:6]:
        if len(chosen) >= settings.answer_sentences:
            break
        if (
            candidate.score >= SECOND_SENTENCE_SHARE * best[0].score
            and lexical_support(candidate.sentence.text, chosen[0].sentence.text) < 0.6
        ):
            chosen.append(candidate)
    chosen.sort(key=lambda s: (s.sentence.evidence_index, s.sentence.start))
    citations: list[Citation] = []
    parts: list[str] = []
    for item in chosen:
        ev = evidence[item.sentence.evidence_index]
        n = len(citations) + 1
        citations.append(make_citation(n, ev, item.sentence.start, item.sentence.end))
        parts.append(f"{item.sentence.text} [{n}]")
    return Answer(
        question=question, answer=" ".join(parts), abstained=False, citations=tuple(citations), searched=searched
    )


CHOICE_LIFT_WEIGHT = 3.0  # how much a choice's semantic lift counts next to its word overlap
CHOICE_MEANING_WEIGHT = 0.3  # and how much the sentence's closeness to the question counts


def choose(
    question: str, choices: list[str], evidence: list[Evidence], settings: Settings
) -> tuple[int, Citation | None]:
    """Multiple choice: the choice best supported by the retrieved sentences, and that sentence."""
    scored = score_sentences(question, evidence)[:40]
    if not scored:
        return 0, None
    embedder = embedder_for(settings)
    # Each choice as a statement: how much closer does it bring the question to a sentence?
    vectors = embedder.embed([question] + [item.sentence.text for item in scored])
    hypotheses = embedder.embed([f"{question} {choice}" for choice in choices])
    dense = vectors[1:] @ vectors[0]
    best_index, best_value, best_sentence = 0, -1.0, None
    for index, choice in enumerate(choices):
        terms = set(content_terms(choice)) or {w.lower() for w in choice.split()}
        for item, vector, cosine in zip(scored, vectors[1:], dense, strict=True):
            text = item.sentence.text
            overlap = len(terms & set(content_terms(text))) / len(terms)
            exact = 0.5 if choice.strip("“”\"' ").lower() in text.lower() else 0.0
            lift = float(hypotheses[index] @ vector) - float(cosine)
            value = (overlap + exact) * (
                0.5 + item.score + CHOICE_MEANING_WEIGHT * float(cosine)
            ) + CHOICE_LIFT_WEIGHT * lift
            if value > best_value:
                best_index, best_value, best_sentence = index, value, item
    if best_sentence is None or best_value <= 0:
        return best_index, None
    ev = evidence[best_sentence.sentence.evidence_index]
    return best_index, make_citation(1, ev, best_sentence.sentence.start, best_sentence.sentence.end)


# ---------------------------------------------------------------- OpenAI-compatible generator


_FENCE_CLOSE = re.compile(r"</\s*passage\s*>", re.IGNORECASE)


def _attribute(value: str) -> str:
    return value.replace('"', "'").replace("<", "(").replace(">", ")")


def format_passages(evidence: list[Evidence]) -> str:
    """Numbered, fenced passages: the model is told the fenced text is data, not instructions."""
    blocks = []
    for n, ev in enumerate(evidence, start=1):
        body = _FENCE_CLOSE.sub("</ passage_>", ev.text)  # a passage cannot close its own fence
        blocks.append(
            f'<passage n="{n}" title="{_attribute(ev.title)}" source="{_attribute(ev.source)}" '
            f'date="{ev.published_at}">\n{body}\n</passage>'
        )
    return "\n\n".join(blocks)


def load_prompt(name: str) -> str:
    return (PROMPTS / name).read_text(encoding="utf-8")


_MARKER = re.compile(r"\[(\d+)\]")
_MARKER_WITH_SPACE = re.compile(r"\s*\[\d+\]")
# "Claim. [1]" → "Claim [1]." so the splitter keeps each marker with its sentence.
_MARKERS_AFTER_STOP = re.compile(r"([.!?][\"'”’)]*)((?:\s*\[\d+\])+)")


def semantic_similarity(claim: str, quote: str) -> float:
    """Cosine of the claim and its quote under the embedding model (the second support check)."""
    vectors = get_embedder().embed([claim, quote])
    return float(vectors[0] @ vectors[1])


def parse_reply(question: str, reply: str, evidence: list[Evidence], searched: str = "") -> Answer:
    """Model reply → Answer: markers to real passages become citations; the rest are dropped."""
    from rag.chunk import sentence_spans

    if not reply.strip() or "NOT_FOUND" in reply:
        return not_found(question, searched or "the corpus")
    reply = _MARKERS_AFTER_STOP.sub(r"\2\1", reply.strip())
    citations: list[Citation] = []
    keyed: dict[tuple[str, int, int], int] = {}
    out_sentences = []
    for start, end in sentence_spans(reply):
        sentence = reply[start:end]
        claim = _MARKER_WITH_SPACE.sub("", sentence).strip()
        if not claim:
            continue  # a bare marker cites nothing
        new_markers = []
        for raw in _MARKER.findall(sentence):
            index = int(raw) - 1
            if not 0 <= index < len(evidence):
                continue  # a marker pointing at no passage is dropped
            ev = evidence[index]
            candidates = sentences_of([ev])
            best = max(candidates, key=lambda s: lexical_support(claim, s.text), default=None)
            if best is None:
                continue
            supported = is_supported(claim, best.text, similarity=semantic_similarity(claim, best.text))
            key = (ev.article_id, best.start, best.end)
            if key not in keyed:
                keyed[key] = len(citations) + 1
                citations.append(make_citation(keyed[key], ev, best.start, best.end, supported))
            new_markers.append(keyed[key])
        if not new_markers:
            continue  # a sentence with no valid citation is dropped, never shown as fact
        marks = "".join(f" [{n}]" for n in dict.fromkeys(new_markers))
        out_sentences.append(claim + marks)
    if not citations:
        return not_found(question, searched or "the corpus")
    return Answer(question, " ".join(out_sentences), False, tuple(citations), searched)


def openai_chain(settings: Settings) -> Runnable:
    """prompt | ChatOpenAI | text, honouring OPENAI_BASE_URL / OPENAI_API_KEY."""
    from langchain_core.output_parsers import StrOutputParser
    from langchain_core.prompts import ChatPromptTemplate

    prompt = ChatPromptTemplate.from_messages(
        [("system", load_prompt("answer_system.md")), ("human", load_prompt("answer_user.md"))]
    )
    return prompt | chat_model(settings) | StrOutputParser()


def chat_model(settings: Settings) -> Runnable:
    """The one ChatOpenAI construction (answers and follow-up rewrites share it)."""
    import os

    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model=settings.openai_model,
        temperature=0,
        timeout=60,
        max_retries=1,
        api_key=os.environ.get("OPENAI_API_KEY") or "not-needed",  # local servers ignore the key
        base_url=os.environ.get("OPENAI_BASE_URL") or None,
    )


# ---------------------------------------------------------------- the chain


Generator = Callable[[str, list[Evidence], str], Answer]  # (question, evidence, searched) → Answer


def make_generator(settings: Settings) -> Generator:
    """The generator chosen by settings; both share retrieval, citation building and abstention."""
    if settings.llm != "openai":
        return lambda question, evidence, searched: extractive_answer(question, evidence, settings, searched)
    llm = openai_chain(settings)

    def generate(question: str, evidence: list[Evidence], searched: str) -> Answer:
        if not evidence:
            return not_found(question, searched)
        reply = llm.invoke({"question": question, "passages": format_passages(evidence)})
        return parse_reply(question, reply, evidence, searched)

    return generate


def build_chain(store: Store, settings: Settings) -> Runnable:
    """LCEL: Query → {query, evidence} → Answer."""
    generate = make_generator(settings)

    def with_evidence(query: Query) -> dict[str, object]:
        return {"query": query, "evidence": retrieve(store, query, settings)}

    def answer(state: dict) -> Answer:
        query = state["query"]
        return generate(query.question, state["evidence"], query.describe())

    return RunnableLambda(with_evidence) | RunnableLambda(answer)


def ask(
    store: Store,
    settings: Settings,
    question: str,
    as_of: str | None = None,
    source: str | None = None,
    k: int | None = None,
    *,
    since: str | None = None,
) -> Answer:
    """One question → a cited Answer (or a "not found" that says what was searched)."""
    question = " ".join(question.split())
    if not question:
        raise ValueError("the question is empty")
    if since and as_of and since > as_of:
        raise ValueError(f"--since {since} is after --as-of {as_of}: no article can match")
    if source and settings.hybrid and source.lower() not in (known := store.sources()):
        listed = ", ".join(sorted(known)[:20]) + (" …" if len(known) > 20 else "")
        raise ValueError(f"no articles from source {source!r} in the store (sources: {listed})")
    query = Query(question=question, as_of=as_of, source=source, k=k or settings.k, since=since)
    return build_chain(store, settings).invoke(query)
