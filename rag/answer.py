"""(question, evidence) → Answer. Two generators behind one interface, composed with LCEL.

- ``extractive`` (default, offline): score every sentence of the retrieved chunks against the
  question (meaning, shared words, and the kind of fact asked for), quote the best, cite it.
- ``openai`` (any OpenAI-compatible server): the model writes from numbered, fenced passages;
  its ``[n]`` markers are parsed, mapped to the passage sentence that supports the claim, and
  claims that their passage does not support are flagged.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

from langchain_core.runnables import Runnable, RunnableLambda

from rag.bridge import bridged
from rag.cite import (
    clipped,
    content_terms,
    is_supported,
    lexical_support,
    make_citation,
    sentences_of,
    source_line,
)
from rag.embed import cosine as embedding_cosine
from rag.embed import embedder_for
from rag.question import MANNER, REASON, Frame, analyse
from rag.quote import known_date, with_dates
from rag.reader import (
    Reading,
    ScoredSentence,
    Weights,
    find_spans,
    load_weights,
    read,
    score_sentences,
)
from rag.reader.decision import MAX_QUESTION_WORDS, reports_event
from rag.reader.spans import AMOUNT_SHAPE, Span
from rag.retrieve import Query, retrieve, with_more_of_the_article
from rag.settings import Settings
from rag.store import Store
from rag.types import Answer, Citation, Evidence, ShortAnswer

PROMPTS = Path(__file__).resolve().parent.parent / "prompts"


# ---------------------------------------------------------------- saying what was not found


def not_found(
    question: str, searched: str, reading: Reading | None = None, evidence: Sequence[Evidence] = ()
) -> Answer:
    """A decline that says what was searched, what the evidence lacked and the closest coverage found.

    The closest sentence is cited as [1] so a reader can check it, but it is never offered as the answer.
    """
    searched = searched or "all articles"  # the same words as an answer's ``searched``
    why = f": {'; '.join(reading.missing)}" if reading and reading.missing else ""
    text = f"Not found in {'any article' if searched == 'all articles' else searched}{why}."
    citations: tuple[Citation, ...] = ()
    if reading and reading.sentences and evidence:
        closest = reading.sentences[0].sentence
        ev = evidence[closest.evidence_index]
        citation = make_citation(1, ev, closest.start, closest.end, supported=False)
        citations = (citation,)
        text += f" Closest coverage: “{clipped(citation.quote)}” ({source_line(citation)}) [1]"
    return Answer(question=question, answer=text, abstained=True, citations=citations, searched=searched)


# ---------------------------------------------------------------- the extractive generator


def frame_of(query: Query) -> Frame:
    """The question's frame, its time words read against the query's as-of date (else today)."""
    as_of = date.fromisoformat(query.as_of) if query.as_of else None
    return analyse(query.question, as_of)


def answer_from_reading(question: str, reading: Reading, evidence: Sequence[Evidence], searched: str) -> Answer:
    """The short answer first (when there is one), then the supporting quotes, each cited."""
    if not reading.answered:
        return not_found(question, searched, reading, evidence)
    support = sorted(reading.support, key=lambda s: 0 if reading.span and s is reading.span.sentence else 1)
    citations: list[Citation] = []
    parts: list[str] = []
    for item in support:
        ev = evidence[item.sentence.evidence_index]
        n = len(citations) + 1
        citations.append(make_citation(n, ev, item.sentence.start, item.sentence.end))
        parts.append(f"“{item.sentence.text}” [{n}]")
    short = None
    if reading.span:
        span = reading.span
        short = ShortAnswer(span.text, 1, citations[0].doc_id, span.start, span.end)
        # "today" answers nothing on its own: its day follows in an editor's bracket, as in briefs
        published = known_date(citations[0].published_at, citations[0].date_from)
        parts.insert(0, f"{dated(span, published)}.")
    return Answer(question, " ".join(parts), False, tuple(citations), searched, short)


def dated(span: Span, published: date | None) -> str:
    """The short answer with each relative day in it dated in an editor's bracket, as its sentence
    reads it: "Thursday" in "parliament will meet on Thursday" is the Thursday after the article."""
    sentence = span.sentence.sentence
    start = span.start - sentence.start
    return with_dates(sentence.text, published, start, start + len(span.text.rstrip(".")))


def extractive_answer(query: Query, evidence: list[Evidence], settings: Settings) -> Answer:
    """Read the evidence (rag.reader) and answer from it, or decline saying what was missing."""
    searched = query.describe()
    if not evidence:
        return not_found(query.question, searched)
    reading = read(frame_of(query), evidence)
    return answer_from_reading(query.question, reading, evidence, searched)


def _choice_key(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


NONE_OF_THE_ABOVE = "none of the above"
CHOICE_SENTENCES = 40  # best sentences a choice is looked for in


def choice_features(
    frame: Frame, choices: Sequence[str], evidence: Sequence[Evidence], settings: Settings, weights: Weights
) -> tuple[list[dict[str, float]], list[ScoredSentence | None]]:
    """Per choice: how the evidence supports it, and the sentence that supports it best.

    - ``support``: the share of the choice's words in a sentence (plus half for the whole choice
      verbatim), times that sentence's relevance to the question;
    - ``lift``: how much closer the choice brings the question to that sentence, by meaning (MiniLM);
    - ``span``: the reader's own short answer candidates that match the choice.
    """
    scored = score_sentences(frame, evidence, weights)[:CHOICE_SENTENCES]
    if not scored:
        return [{"support": 0.0, "lift": 0.0, "span": 0.0} for _ in choices], [None for _ in choices]
    embedder = embedder_for(settings)
    vectors = embedder.embed([frame.question] + [item.sentence.text for item in scored])
    hypotheses = embedder.embed([f"{frame.question} {choice}" for choice in choices])
    dense = vectors[1:] @ vectors[0]
    top = max(item.score for item in scored) or 1.0
    spans = find_spans(frame, scored, evidence, weights) if frame.factoid else []
    best_span = max((s.score for s in spans), default=1.0) or 1.0
    features, sentences = [], []
    for row, choice in enumerate(choices):
        terms = set(content_terms(choice)) or {w.lower() for w in choice.split()}
        key = _choice_key(choice.strip("“”\"' "))
        best = (0.0, -1.0, None)
        for item, vector, cosine in zip(scored, vectors[1:], dense, strict=True):
            overlap = len(terms & set(content_terms(item.sentence.text))) / len(terms)
            exact = 0.5 if key and f" {key} " in f" {_choice_key(item.sentence.text)} " else 0.0
            support = (overlap + exact) * max(item.score, 0.0) / top
            lift = float(hypotheses[row] @ vector) - float(cosine)
            if (support, lift) > best[:2]:
                best = (support, lift, item)
        matched = [s.score for s in spans if key and (key in _choice_key(s.text) or _choice_key(s.text) in key)]
        features.append({"support": best[0], "lift": max(best[1], 0.0), "span": max(matched, default=0.0) / best_span})
        sentences.append(best[2])
    return features, sentences


def choose(
    question: str, choices: list[str], evidence: list[Evidence], settings: Settings, as_of: str | None = None
) -> tuple[int, Citation | None]:
    """Multiple choice: the choice best supported by the retrieved sentences, and that sentence.

    A "None of the above" choice is picked when no other choice is supported by the evidence
    (its support under the fitted bound ``Weights.nota``).
    """
    frame = analyse(question, date.fromisoformat(as_of) if as_of else None)
    weights = load_weights()
    nota = next((i for i, c in enumerate(choices) if _choice_key(c) == NONE_OF_THE_ABOVE), None)
    listed = [i for i in range(len(choices)) if i != nota]
    features, sentences = choice_features(frame, [choices[i] for i in listed], evidence, settings, weights)
    values = [Weights.score(weights.choice, f) for f in features]
    row = max(range(len(listed)), key=lambda r: values[r])
    if nota is not None and features[row]["support"] < weights.nota:
        return nota, None
    sentence = sentences[row]
    if sentence is None:
        return listed[row], None
    ev = evidence[sentence.sentence.evidence_index]
    return listed[row], make_citation(1, ev, sentence.sentence.start, sentence.sentence.end)


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
    return embedding_cosine(claim, quote)


_SHORT_LINE = re.compile(r"^\s*short answer\s*:\s*(.*?)\s*$", re.IGNORECASE | re.MULTILINE)


def parse_reply(question: str, reply: str, evidence: list[Evidence], searched: str = "") -> Answer:
    """Model reply → Answer: markers to real passages become citations; the rest are dropped.

    A "Short answer: …" line becomes the short answer only when it is found, word for word, in a
    cited sentence: its offsets then point into the article like any citation.
    """
    from rag.chunk import sentence_spans

    if not reply.strip() or "NOT_FOUND" in reply:
        return not_found(question, searched or "the corpus")
    short_match = _SHORT_LINE.search(reply)
    short_text = _MARKER_WITH_SPACE.sub("", short_match.group(1)).strip(' ."“”') if short_match else ""
    reply = _SHORT_LINE.sub("", reply)
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
    short = _locate_short(short_text, citations)
    text = " ".join(out_sentences)
    if short:
        text = f"{short.text}. {text}"
    return Answer(question, text, False, tuple(citations), searched, short)


def _locate_short(text: str, citations: Sequence[Citation]) -> ShortAnswer | None:
    """The model's short answer as a span of a cited, supported quote; None when no quote holds it."""
    if not text:
        return None
    for c in citations:
        at = c.quote.lower().find(text.lower())
        if c.supported and at >= 0:
            return ShortAnswer(c.quote[at : at + len(text)], c.n, c.doc_id, c.start + at, c.start + at + len(text))
    return None


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


Generator = Callable[[Query, list[Evidence]], Answer]  # (query, evidence) → Answer


def make_generator(settings: Settings) -> Generator:
    """The generator chosen by settings; both share retrieval, citation building and abstention."""
    if settings.llm != "openai":
        return lambda query, evidence: extractive_answer(query, evidence, settings)
    llm = openai_chain(settings)

    def generate(query: Query, evidence: list[Evidence]) -> Answer:
        if not evidence:
            return not_found(query.question, query.describe())
        reply = llm.invoke({"question": query.question, "passages": format_passages(evidence)})
        answer = parse_reply(query.question, reply, evidence, query.describe())
        if not answer.abstained:
            return answer
        # The model found nothing: say what was searched and the closest coverage, as offline.
        return not_found(query.question, query.describe(), read(frame_of(query), evidence), evidence)

    return generate


def within_question_window(query: Query) -> Query:
    """The query bounded by the question's own time words: "this week" = the 7 days up to as-of."""
    window = frame_of(query).window
    if not window.bounded or len(query.question.split()) > MAX_QUESTION_WORDS:
        return query  # a pasted text's "on Monday" bounds nothing
    return replace(query, since=max(filter(None, [query.since, window.since])))


def latest_coverage(store: Store, query: Query, bounded: Query, answer: Answer, settings: Settings) -> Answer:
    """A decline inside the question's window offers the latest older coverage, never as the answer."""
    if not answer.abstained or bounded == query or not bounded.since:
        return answer
    before = (date.fromisoformat(bounded.since) - timedelta(days=1)).isoformat()
    if query.since and query.since > before:
        return answer
    older = retrieve(store, replace(query, as_of=before), settings)
    reading = read(frame_of(query), older) if older else None
    if not reading or not reading.sentences:
        return answer
    closest = reading.sentences[0].sentence
    citation = make_citation(1, older[closest.evidence_index], closest.start, closest.end, supported=False)
    said = answer.answer.split(" Closest coverage:")[0]
    text = f"{said} Latest coverage before that: “{clipped(citation.quote)}” ({source_line(citation)}) [1]"
    return replace(answer, answer=text, citations=(citation,))


def for_reading(store: Store, question: str, evidence: list[Evidence]) -> list[Evidence]:
    """What the generator reads: the evidence, and more of its best article for a "why" or "how", or
    when what was found of it lacks what the answer hangs on: the event ("Lycos stopped distributing
    the program on December 3" sits in a chunk retrieval ranked below others) or, for an amount or a
    share, any currency or percentage at all ("a cash component of 10 million Swedish Kronor")."""
    frame = analyse(question)
    if frame.kind in (REASON, MANNER):
        return with_more_of_the_article(store, evidence)
    if not frame.factoid or not evidence:
        return evidence
    best = " ".join(e.text for e in evidence if e.article_id == evidence[0].article_id)  # a title is never quoted
    needs: list[Callable[[str], object]] = []
    if frame.events and not reports_event(frame, best):
        needs.append(lambda text: reports_event(frame, text))
    if (amount := AMOUNT_SHAPE.get(frame.kind or "")) and not amount.search(best):
        needs.append(amount.search)
    if not needs:
        return evidence
    both = [lambda text: all(need(text) for need in needs)] if len(needs) > 1 else []
    return with_more_of_the_article(store, evidence, wanted=[*both, needs[0]])  # both in one chunk, else the first


def build_chain(
    store: Store,
    settings: Settings,
    search: Callable[[str], str] | None = None,
    keep: Callable[[list[Evidence]], list[Evidence]] | None = None,
    *,
    bridge: bool = True,
) -> Runnable:
    """LCEL: Query → {query, bounded query, evidence} → Answer.

    ``search`` rewrites the text retrieval searches for and ``keep`` filters what it found (a
    follow-up searches with its conversation's names but is answered on its own words). With
    ``bridge``, a declined question naming a thing by a description is asked in two steps (rag.bridge).
    """
    generate = make_generator(settings)

    def with_evidence(query: Query) -> dict[str, object]:
        bounded = within_question_window(query)
        searched = replace(bounded, question=search(bounded.question)) if search else bounded
        evidence = retrieve(store, searched, settings)
        evidence = keep(evidence) if keep else evidence
        return {"query": query, "bounded": bounded, "evidence": for_reading(store, bounded.question, evidence)}

    def answer(state: dict) -> Answer:
        query, bounded = state["query"], state["bounded"]
        found = latest_coverage(store, query, bounded, generate(bounded, state["evidence"]), settings)
        return bridged(query.question, found, in_two_steps(store, settings, query)) if bridge else found

    return RunnableLambda(with_evidence) | RunnableLambda(answer)


def in_two_steps(store: Store, settings: Settings, query: Query) -> Callable[[str], Answer]:
    """How a step of a two-step question is asked: as a question of its own, with the query's dates
    and source (not a follow-up's search words: the step names its subject). The chain is built only
    when a step is asked, which is only after a decline."""
    return lambda question: build_chain(store, settings, bridge=False).invoke(replace(query, question=question))


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
