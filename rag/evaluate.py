"""Gold questions → metrics. Pure scoring over what retrieval and the generators return.

Gold lines: ``{id, question, answer, choices?, question_date?, evidence: [{doc_id?, title?, fact?}]}``.
A line with ``answer: null`` (or no evidence) is unanswerable: the right behaviour is to abstain.
"""

from __future__ import annotations

import json
import re
import time
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag.answer import choose, make_generator
from rag.retrieve import Query, retrieve
from rag.settings import Settings
from rag.store import Store
from rag.types import Citation


def load_gold(path: Path) -> list[dict[str, Any]]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: malformed JSON ({exc.msg})") from exc
            if not isinstance(row, dict) or not str(row.get("question") or "").strip():
                raise ValueError(f"{path}:{number}: a gold line needs a non-empty 'question'")
            rows.append(row)
    if not rows:
        raise ValueError(f"{path}: no gold questions in the file")
    return rows


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"[“”\"'‘’`]", "", text)
    text = re.sub(r"[^\w\s%$.]", " ", text)
    return " ".join(text.replace(".", " ").split())


def contains(text: str, gold: str) -> bool:
    """The normalised gold answer occurs in the text as whole words ("1" is not in "10")."""
    needle = normalise(gold)
    return bool(needle) and re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", normalise(text)) is not None


def expected_choices(item: dict[str, Any]) -> set[int]:
    index = item.get("answer_index")
    if isinstance(index, int):
        return {index}
    if isinstance(index, list) and index:
        return set(index)
    return {item["choices"].index(item["answer"])} if item.get("answer") in item["choices"] else set()


def is_answerable(row: dict[str, Any]) -> bool:
    return row.get("answer") not in (None, "") and bool(row.get("evidence"))


def gold_rank(row: dict[str, Any], ranked_articles: list[tuple[str, str]]) -> int | None:
    """1-based rank of the first gold article among the retrieved (doc_id, title) pairs."""
    ids = {e["doc_id"] for e in row.get("evidence", []) if e.get("doc_id")}
    titles = {normalise(e["title"]) for e in row.get("evidence", []) if e.get("title") and not e.get("doc_id")}
    for rank, (doc_id, title) in enumerate(ranked_articles, start=1):
        if doc_id in ids or normalise(title) in titles:
            return rank
    return None


def citation_is_valid(store: Store, citation: Citation) -> bool:
    """The quote equals the stored article text between start and end."""
    for ev in store.article_chunks(citation.doc_id):
        if ev.start <= citation.start and citation.end <= ev.end:
            return ev.text[citation.start - ev.start : citation.end - ev.start] == citation.quote
    return False


@dataclass
class QuestionResult:
    id: str
    question: str
    gold: str | None
    answer: str
    abstained: bool
    rank: int | None
    cited_doc: str | None
    cited_gold: bool
    contains_gold: bool
    choice_correct: bool | None
    spans_valid: bool
    seconds: float

    @property
    def passed(self) -> bool:
        if self.gold is None:
            return self.abstained
        return not self.abstained and (self.contains_gold or self.cited_gold)


@dataclass
class EvalResult:
    metrics: dict[str, float | int | None]
    rows: list[QuestionResult] = field(default_factory=list)


def _mean(values: Iterable[float]) -> float | None:
    """Mean to 4 places; None when nothing was measured (not a misleading 0)."""
    values = list(values)
    return round(sum(values) / len(values), 4) if values else None


def evaluate(
    store: Store,
    settings: Settings,
    gold: list[dict[str, Any]],
    k: int = 10,
    progress: Callable[[int, int], None] | None = None,
) -> EvalResult:
    rows: list[QuestionResult] = []
    generate = make_generator(settings)
    for done, item in enumerate(gold, start=1):
        started = time.perf_counter()
        # Up to two chunks an article: 2k chunks hold the top k articles.
        query = Query(item["question"], as_of=item.get("question_date"), k=2 * k)
        evidence = retrieve(store, query, settings)
        articles = list(dict.fromkeys((e.article_id, e.title) for e in evidence))[:k]
        rank = gold_rank(item, articles)
        answer = generate(item["question"], evidence[: settings.k], query.describe())
        gold_ids = {e["doc_id"] for e in item.get("evidence", []) if e.get("doc_id")}
        cited = answer.citations[0].doc_id if answer.citations else None
        choice_correct = None
        if item.get("choices"):
            picked, _ = choose(item["question"], item["choices"], evidence[: settings.k], settings)
            choice_correct = picked in expected_choices(item)
        gold_answer = item.get("answer") if is_answerable(item) else None
        rows.append(
            QuestionResult(
                id=str(item.get("id", done)),
                question=item["question"],
                gold=gold_answer,
                answer=answer.answer,
                abstained=answer.abstained,
                rank=rank,
                cited_doc=cited,
                cited_gold=cited in gold_ids,
                contains_gold=bool(gold_answer) and not answer.abstained and contains(answer.answer, gold_answer),
                choice_correct=choice_correct,
                spans_valid=all(citation_is_valid(store, c) for c in answer.citations),
                seconds=time.perf_counter() - started,
            )
        )
        if progress:
            progress(done, len(gold))
    return EvalResult(metrics=summarise(rows, k), rows=rows)


def summarise(rows: list[QuestionResult], k: int = 10) -> dict[str, float | int | None]:
    answerable = [r for r in rows if r.gold is not None]
    unanswerable = [r for r in rows if r.gold is None]
    ranked = answerable
    mc = [r for r in rows if r.choice_correct is not None]
    return {
        "questions": len(rows),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "hits@1": _mean(1.0 if r.rank and r.rank <= 1 else 0.0 for r in ranked),
        "hits@5": _mean(1.0 if r.rank and r.rank <= 5 else 0.0 for r in ranked),
        "hits@10": _mean(1.0 if r.rank and r.rank <= 10 else 0.0 for r in ranked),
        "mrr@10": _mean(1.0 / r.rank if r.rank and r.rank <= 10 else 0.0 for r in ranked),
        "answer_contains_gold": _mean(1.0 if r.contains_gold else 0.0 for r in answerable),
        "multiple_choice_accuracy": _mean(1.0 if r.choice_correct else 0.0 for r in mc),
        "multiple_choice_questions": len(mc),
        "cited_article_is_gold": _mean(1.0 if r.cited_gold else 0.0 for r in answerable),
        "citation_span_validity": _mean(1.0 if r.spans_valid else 0.0 for r in rows),
        "abstention_rate": _mean(1.0 if r.abstained else 0.0 for r in rows),
        "abstention_on_unanswerable": _mean(1.0 if r.abstained else 0.0 for r in unanswerable),
        "false_abstention": _mean(1.0 if r.abstained else 0.0 for r in answerable),
        "seconds_per_question": _mean(r.seconds for r in rows),
        "k": k,
    }


def report_markdown(result: EvalResult) -> str:
    m = result.metrics
    lines = ["# newsbrief eval", "", "| metric | value |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in m.items()]
    lines += ["", "| id | question | gold | answer | cited doc | rank | pass |", "|---|---|---|---|---|---|---|"]
    for r in result.rows:
        answer = (r.answer[:140] + "…") if len(r.answer) > 140 else r.answer
        cells = [
            r.id,
            r.question,
            r.gold or "(unanswerable)",
            answer,
            r.cited_doc or "",
            str(r.rank or ""),
            "pass" if r.passed else "FAIL",
        ]
        lines.append("| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |")
    return "\n".join(lines) + "\n"
