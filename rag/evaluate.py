"""Gold questions → metrics. Pure scoring over what retrieval and the generators return.

Gold lines: ``{id, question, answer, choices?, question_date?, evidence: [{doc_id?, title?, published_at?, fact?}]}``.
A line with ``answer: null`` (or no evidence) is unanswerable: the right behaviour is to abstain.
Out of window (as of the day before the earliest gold article) the right behaviour is to abstain too.

File writing (report folder, chart) and threshold/comparison helpers live here as small functions so
the CLI stays a thin shell and the tests can check them without a store.
"""

from __future__ import annotations

import json
import math
import re
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rag.answer import choose, for_reading, in_two_steps, make_generator, within_question_window
from rag.bridge import bridged
from rag.retrieve import Query, retrieve
from rag.settings import Settings
from rag.store import Store
from rag.types import Citation

if TYPE_CHECKING:
    from rag.answer import Generator


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


_NUMBER_WORDS = {
    w: str(i)
    for i, w in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
            "twenty",
        ]
    )
}
_NUMBER_WORD = re.compile(rf"\b({'|'.join(_NUMBER_WORDS)})\b")


def normalise(text: str) -> str:
    """Lower case, no quotes or punctuation, "&" → "and", number words → digits ("six" = "6")."""
    text = unicodedata.normalize("NFKC", text).lower().replace("&", " and ")
    text = _NUMBER_WORD.sub(lambda m: _NUMBER_WORDS[m.group(1)], text)
    text = re.sub(r"[“”\"'‘’`]", "", text)
    text = re.sub(r"[^\w\s%$.]", " ", text)
    return " ".join(text.replace(".", " ").split())


def contains(text: str, gold: str) -> bool:
    """A normalised gold answer occurs in the text as whole words ("1" is not in "10")."""
    haystack = normalise(text)
    for answer in gold_answers(gold):
        needle = normalise(answer)
        if needle and re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", haystack):
            return True
    return False


def squad_normalise(text: str) -> str:
    """SQuAD's answer normalisation: lower case, every Unicode punctuation mark (curly quotes
    included) and the articles a/an/the removed, white space collapsed. Removed, as SQuAD's script
    does, not spaced: "1,586" is one token, which shares nothing with "1,600"."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = "".join("" if unicodedata.category(ch).startswith("P") or ch in "$^`|~+=<>" else ch for ch in text)
    return " ".join(w for w in text.split() if w not in ("a", "an", "the"))


def gold_answers(gold: str) -> list[str]:
    """The accepted answers: a gold string may list several joined by " | "."""
    return [g.strip() for g in gold.split(" | ") if g.strip()] or [gold]


def exact_match(prediction: str | None, gold: str) -> float:
    """1.0 when the normalised prediction equals any normalised gold answer."""
    found = squad_normalise(prediction or "")
    return 1.0 if any(found == squad_normalise(g) for g in gold_answers(gold)) else 0.0


def token_f1(prediction: str | None, gold: str) -> float:
    """SQuAD token F1 of the prediction against the best-matching gold answer."""
    predicted = squad_normalise(prediction or "").split()
    best = 0.0
    for answer in gold_answers(gold):
        expected = squad_normalise(answer).split()
        common = sum((Counter(predicted) & Counter(expected)).values())
        if not predicted or not expected or not common:
            best = max(best, float(predicted == expected))
            continue
        precision, recall = common / len(predicted), common / len(expected)
        best = max(best, 2 * precision * recall / (precision + recall))
    return best


def is_none_of_the_above(choice: str) -> bool:
    return squad_normalise(choice) == "none of above"


def expected_choices(item: dict[str, Any]) -> set[int]:
    index = item.get("answer_index")
    if isinstance(index, int):
        return {index}
    if isinstance(index, list) and index:
        return set(index)
    return {item["choices"].index(item["answer"])} if item.get("answer") in item["choices"] else set()


def is_answerable(row: dict[str, Any]) -> bool:
    return row.get("answer") not in (None, "") and bool(row.get("evidence"))


def gold_rank(
    row: dict[str, Any], ranked_articles: list[tuple[str, str]], copies: Mapping[str, Iterable[str]] | None = None
) -> int | None:
    """1-based rank of the first gold article among the retrieved (doc_id, title) pairs.

    ``copies`` maps a retrieved article to the ids of its near-duplicates (stored as links, not
    chunks): retrieving the canonical copy of a gold article counts as retrieving it.
    """
    ids = {e["doc_id"] for e in row.get("evidence", []) if e.get("doc_id")}
    titles = {normalise(e["title"]) for e in row.get("evidence", []) if e.get("title") and not e.get("doc_id")}
    copies = copies or {}
    for rank, (doc_id, title) in enumerate(ranked_articles, start=1):
        if doc_id in ids or normalise(title) in titles or ids & set(copies.get(doc_id, ())):
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
    gold: str | None  # None: abstaining is the right behaviour (unanswerable, or asked out of window)
    answer: str
    abstained: bool
    rank: int | None
    cited_doc: str | None
    cited_gold: bool
    contains_gold: bool
    choice_correct: bool | None
    spans_valid: bool
    seconds: float
    as_of: str | None = None
    short_answer: str | None = None
    short_em: float = 0.0
    short_f1: float = 0.0
    nota_choice: bool = False  # the choices held "None of the above"

    @property
    def passed(self) -> bool:
        """Right answer and right article: the answer holds the gold (or its short answer matches it)
        and a cited article is gold; an unanswerable (or out-of-window) question passes only declined."""
        if self.gold is None:
            return self.abstained
        return not self.abstained and (self.contains_gold or self.short_em == 1.0) and self.cited_gold


@dataclass
class EvalResult:
    metrics: dict[str, float | int | None]
    rows: list[QuestionResult] = field(default_factory=list)
    out_of_window: list[QuestionResult] = field(default_factory=list)


# ---------------------------------------------------------------- metric names and directions

# The 0..1 metrics (charted); the others are counts or seconds.
RATE_METRICS = (
    "hits@1",
    "hits@5",
    "hits@10",
    "mrr@10",
    "answer_contains_gold",
    "short_answer_em",
    "short_answer_f1",
    "multiple_choice_accuracy",
    "nota_accuracy",
    "cited_article_is_gold",
    "citation_span_validity",
    "abstention_rate",
    "abstention_on_unanswerable",
    "abstention_out_of_window",
    "false_abstention",
)
LOWER_IS_BETTER = frozenset({"false_abstention", "seconds_per_question"})
# Neither better nor worse when they move: sizes of the run, and abstention over a mix of both kinds.
NEUTRAL = frozenset(
    {
        "questions",
        "answerable",
        "unanswerable",
        "multiple_choice_questions",
        "out_of_window_questions",
        "abstention_rate",
        "k",
    }
)


def direction(metric: str) -> int:
    """+1 when higher is better, -1 when lower is better, 0 when a change is neither."""
    if metric in LOWER_IS_BETTER:
        return -1
    return 0 if metric in NEUTRAL else 1


# ---------------------------------------------------------------- out of window


def iso_day(value: object) -> date | None:
    """The date of an ISO date or timestamp ("2022-06-12T10:00Z" → 2022-06-12); None when unknown."""
    try:
        return date.fromisoformat(str(value or "")[:10])
    except ValueError:
        return None


def with_published_dates(gold: list[dict[str, Any]], dates: Mapping[str, str]) -> list[dict[str, Any]]:
    """Fill evidence lacking ``published_at`` from ``dates`` (doc_id → date), e.g. the store's dates.

    The bundled gold names its articles by doc_id only; the store knows when each was published.
    """
    filled = []
    for item in gold:
        evidence = [
            {**e, "published_at": dates[e["doc_id"]]}
            if not iso_day(e.get("published_at")) and dates.get(e.get("doc_id") or "")
            else e
            for e in item.get("evidence") or []
        ]
        filled.append({**item, "evidence": evidence} if item.get("evidence") else item)
    return filled


def out_of_window_set(gold: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Answerable questions re-asked as of the day before their earliest dated gold article.

    No gold article is retrievable then, so the honest answer is an abstention.
    """
    late = []
    for item in gold:
        if not is_answerable(item):
            continue
        days = [d for e in item["evidence"] if (d := iso_day(e.get("published_at")))]
        if days:
            as_of = (min(days) - timedelta(days=1)).isoformat()
            late.append({**item, "question_date": as_of, "out_of_window": True})
    return late


def stored_dates(store: Store, gold: list[dict[str, Any]]) -> dict[str, str]:
    """doc_id → published_at from the store, for gold evidence that carries no date of its own."""
    wanted = {
        e["doc_id"]
        for item in gold
        if is_answerable(item)
        for e in item["evidence"]
        if e.get("doc_id") and not iso_day(e.get("published_at"))
    }
    dates = {}
    for doc_id in sorted(wanted):
        chunks = store.article_chunks(doc_id)
        if chunks and iso_day(chunks[0].published_at):
            dates[doc_id] = chunks[0].published_at
    return dates


# ---------------------------------------------------------------- evaluation


def _mean(values: Iterable[float]) -> float | None:
    """Mean to 4 places; None when nothing was measured (not a misleading 0)."""
    values = list(values)
    return round(sum(values) / len(values), 4) if values else None


def score_question(
    store: Store, settings: Settings, generate: Generator, item: dict[str, Any], k: int = 10
) -> QuestionResult:
    """Retrieve, answer (and choose, for multiple choice), then score one gold line.

    The question goes through what ``ask`` does: its own time words bound the evidence
    ("this week" = the 7 days up to the question's date), then the generator reads the top chunks.
    """
    started = time.perf_counter()
    late = bool(item.get("out_of_window"))
    # Up to two chunks an article: 2k chunks hold the top k articles.
    query = within_question_window(Query(item["question"], as_of=item.get("question_date"), k=2 * k))
    evidence = retrieve(store, query, settings)
    articles = list(dict.fromkeys((e.article_id, e.title) for e in evidence))[:k]
    copies = {e.article_id: e.duplicate_ids for e in evidence if e.duplicate_ids}
    rank = gold_rank(item, articles, copies)
    read = for_reading(store, query.question, evidence[: settings.k])
    answer = generate(replace(query, k=settings.k), read)
    # each step is bounded by its own time words, as in ``ask`` (``since`` here is this question's window)
    answer = bridged(query.question, answer, in_two_steps(store, settings, replace(query, k=settings.k, since=None)))
    gold_ids = {e["doc_id"] for e in item.get("evidence", []) if e.get("doc_id")}
    cited = answer.citations[0].doc_id if answer.citations and not answer.abstained else None
    choices = item.get("choices") or []
    choice_correct = None
    if choices and not late:
        picked, _ = choose(item["question"], choices, read, settings, as_of=query.as_of)
        choice_correct = picked in expected_choices(item)
    gold_answer = item.get("answer") if is_answerable(item) and not late else None
    short = answer.short_answer.text if answer.short_answer and not answer.abstained else None
    return QuestionResult(
        id=str(item.get("id", "")),
        question=item["question"],
        gold=gold_answer,
        answer=answer.answer,
        abstained=answer.abstained,
        rank=rank,
        cited_doc=cited,
        cited_gold=cited in gold_ids or bool(gold_ids & set(copies.get(cited or "", ()))),
        contains_gold=bool(gold_answer) and not answer.abstained and contains(answer.answer, gold_answer),
        choice_correct=choice_correct,
        spans_valid=all(citation_is_valid(store, c) for c in answer.citations),
        seconds=time.perf_counter() - started,
        as_of=query.as_of,
        short_answer=short,
        short_em=exact_match(short, gold_answer) if gold_answer else 0.0,
        short_f1=token_f1(short, gold_answer) if gold_answer else 0.0,
        nota_choice=any(is_none_of_the_above(c) for c in choices),
    )


def evaluate(
    store: Store,
    settings: Settings,
    gold: list[dict[str, Any]],
    k: int = 10,
    progress: Callable[[int, int], None] | None = None,
    out_of_window: bool = False,
) -> EvalResult:
    """Score every gold line; with ``out_of_window`` also re-ask answerable ones before their news broke."""
    generate = make_generator(settings)
    gold = [item if "id" in item else {**item, "id": n} for n, item in enumerate(gold, start=1)]
    late = out_of_window_set(with_published_dates(gold, stored_dates(store, gold))) if out_of_window else []
    total = len(gold) + len(late)
    rows: list[QuestionResult] = []
    early: list[QuestionResult] = []
    for done, item in enumerate([*gold, *late], start=1):
        (rows if done <= len(gold) else early).append(score_question(store, settings, generate, item, k))
        if progress:
            progress(done, total)
    return EvalResult(metrics=summarise(rows, k, early if out_of_window else None), rows=rows, out_of_window=early)


def summarise(
    rows: list[QuestionResult], k: int = 10, out_of_window: list[QuestionResult] | None = None
) -> dict[str, float | int | None]:
    """Every metric, always under the same names; None when a metric had nothing to measure."""
    answerable = [r for r in rows if r.gold is not None]
    unanswerable = [r for r in rows if r.gold is None]
    ranked = answerable
    mc = [r for r in rows if r.choice_correct is not None]
    late = out_of_window or []
    return {
        "questions": len(rows),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "hits@1": _mean(1.0 if r.rank and r.rank <= 1 else 0.0 for r in ranked),
        "hits@5": _mean(1.0 if r.rank and r.rank <= 5 else 0.0 for r in ranked),
        "hits@10": _mean(1.0 if r.rank and r.rank <= 10 else 0.0 for r in ranked),
        "mrr@10": _mean(1.0 / r.rank if r.rank and r.rank <= 10 else 0.0 for r in ranked),
        "answer_contains_gold": _mean(1.0 if r.contains_gold else 0.0 for r in answerable),
        "short_answer_em": _mean(r.short_em for r in answerable),
        "short_answer_f1": _mean(r.short_f1 for r in answerable),
        "multiple_choice_accuracy": _mean(1.0 if r.choice_correct else 0.0 for r in mc),
        "nota_accuracy": _mean(1.0 if r.choice_correct else 0.0 for r in mc if r.nota_choice),
        "multiple_choice_questions": len(mc),
        "cited_article_is_gold": _mean(1.0 if r.cited_gold else 0.0 for r in answerable),
        "citation_span_validity": _mean(1.0 if r.spans_valid else 0.0 for r in [*rows, *late]),
        "abstention_rate": _mean(1.0 if r.abstained else 0.0 for r in rows),
        "abstention_on_unanswerable": _mean(1.0 if r.abstained else 0.0 for r in unanswerable),
        # A number whenever the out-of-window pass ran (0 questions asked: 0.0, never None).
        "abstention_out_of_window": (_mean(1.0 if r.abstained else 0.0 for r in late) or 0.0)
        if out_of_window is not None
        else None,
        "out_of_window_questions": len(late),
        "false_abstention": _mean(1.0 if r.abstained else 0.0 for r in answerable),
        "seconds_per_question": _mean(r.seconds for r in [*rows, *late]),
        "k": k,
    }


METRICS: tuple[str, ...] = tuple(summarise([]))


# ---------------------------------------------------------------- floors, ceilings, comparison


@dataclass(frozen=True)
class Threshold:
    metric: str
    value: float
    ceiling: bool = False  # False: a floor (--min); True: a ceiling (--max)

    def problem(self, metrics: Mapping[str, object]) -> str | None:
        """Why the run misses this threshold, or None when it meets it."""
        kind = "ceiling" if self.ceiling else "floor"
        got = metrics.get(self.metric)
        if not isinstance(got, int | float) or isinstance(got, bool):
            return f"{self.metric} was not measured in this run (its {kind} is {self.value:g})"
        if (got > self.value) if self.ceiling else (got < self.value):
            side = "above" if self.ceiling else "below"
            return f"{self.metric} = {got:g} is {side} its {kind} {self.value:g}"
        return None


def parse_thresholds(specs: Iterable[str], ceiling: bool = False) -> list[Threshold]:
    """``["hits@5=0.85", ...]`` → thresholds; a readable ValueError for anything a typo could cause."""
    flag = "--max" if ceiling else "--min"
    thresholds = []
    for spec in specs:
        name, sep, raw = spec.partition("=")
        name = name.strip()
        if not sep or not name or not raw.strip():
            raise ValueError(f"{flag} expects METRIC=VALUE (e.g. {flag} hits@5=0.85), got {spec!r}")
        if name not in METRICS:
            raise ValueError(f"{flag}: unknown metric {name!r}; known metrics: {', '.join(METRICS)}")
        try:
            value = float(raw)
        except ValueError:
            raise ValueError(f"{flag} {name}: {raw.strip()!r} is not a number") from None
        if not math.isfinite(value):
            raise ValueError(f"{flag} {name}: {raw.strip()!r} is not a finite number")
        if direction(name) == (1 if ceiling else -1):
            better, other = ("higher", "--min") if ceiling else ("lower", "--max")
            raise ValueError(f"{flag} {name}: {better} is better for {name}, so give it {other} instead")
        thresholds.append(Threshold(name, value, ceiling))
    return thresholds


def check_thresholds(metrics: Mapping[str, object], thresholds: Iterable[Threshold]) -> list[str]:
    """One readable line per threshold the run misses (empty: all met)."""
    return [p for t in thresholds if (p := t.problem(metrics))]


def load_metrics(path: Path) -> dict[str, Any]:
    """The metrics of a previous run's metrics.json (also the older flat layout of metrics only)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not a readable metrics.json ({exc})") from None
    metrics = data.get("metrics", data) if isinstance(data, dict) else None
    if not isinstance(metrics, dict) or not any(name in metrics for name in METRICS):
        raise ValueError(f"{path}: no eval metrics in it (expected a metrics.json written by `newsbrief eval`)")
    return metrics


@dataclass(frozen=True)
class MetricChange:
    metric: str
    before: float | int | None
    after: float | int | None

    @property
    def delta(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return round(self.after - self.before, 4)  # an int when both are counts

    @property
    def verdict(self) -> str:
        """One of worse, better, same, or "" (a neutral metric, or measured on one side only)."""
        if self.delta is None or direction(self.metric) == 0:
            return ""
        if self.delta == 0:
            return "same"
        return "better" if self.delta * direction(self.metric) > 0 else "worse"


def _number(value: object) -> float | int | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def compare_metrics(before: Mapping[str, object], after: Mapping[str, object]) -> list[MetricChange]:
    """Per metric before/after, in this run's order; metrics only the old run had come last."""
    names = [*after, *(name for name in before if name not in after)]
    return [MetricChange(name, _number(before.get(name)), _number(after.get(name))) for name in names]


def _show(value: float | int | None) -> str:
    if value is None:
        return "—"
    return str(value) if isinstance(value, int) else f"{value:.4f}"


def format_comparison(changes: list[MetricChange]) -> str:
    """A plain table with WORSE marked, and a last line naming every worse metric."""
    width = max([len("metric"), *(len(c.metric) for c in changes)])
    lines = [f"{'metric':<{width}}  {'before':>9}  {'after':>9}  {'delta':>9}"]
    for c in changes:
        delta = "—" if c.delta is None else f"{c.delta:+d}" if isinstance(c.delta, int) else f"{c.delta:+.4f}"
        mark = {"worse": "  WORSE", "better": "  better"}.get(c.verdict, "")
        if c.metric in LOWER_IS_BETTER and mark:
            mark += " (lower is better)"
        lines.append(f"{c.metric:<{width}}  {_show(c.before):>9}  {_show(c.after):>9}  {delta:>9}{mark}")
    worse = [c.metric for c in changes if c.verdict == "worse"]
    lines.append(f"worse than before: {', '.join(worse)}" if worse else "no metric is worse than before")
    return "\n".join(lines)


# ---------------------------------------------------------------- the report folder


def default_report_dir(gold: Path, when: datetime, base: Path = Path("eval-reports")) -> Path:
    """eval-reports/<gold-stem>-<YYYYmmdd-HHMMSS>/: one folder a run, sorted by time."""
    return base / f"{gold.stem}-{when:%Y%m%d-%H%M%S}"


def run_record(gold: Path, settings: Settings, when: datetime, **options: object) -> dict[str, Any]:
    """What a later reader needs to trust a metrics.json: which gold file, when, and with what settings."""
    return {
        "gold": str(gold),
        "timestamp": when.isoformat(timespec="seconds"),
        "settings": settings.model_dump(mode="json"),
        "options": options,
    }


def write_report(folder: Path, result: EvalResult, run: dict[str, Any]) -> list[Path]:
    """metrics.json, report.md and metrics.png in ``folder``; returns the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    metrics_path, report_path, chart_path = folder / "metrics.json", folder / "report.md", folder / "metrics.png"
    record = {**run, "metrics": result.metrics}
    metrics_path.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    report_path.write_text(report_markdown(result, run), encoding="utf-8")
    write_chart(result.metrics, chart_path)
    return [metrics_path, report_path, chart_path]


def write_chart(metrics: Mapping[str, object], path: Path) -> None:
    """A horizontal bar chart of the 0..1 metrics (Agg canvas: no display, no pyplot global state)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    names = [name for name in RATE_METRICS if _number(metrics.get(name)) is not None]
    values = [float(metrics[name]) for name in names]  # type: ignore[arg-type]
    colours = ["tab:orange" if direction(n) < 0 else "tab:gray" if direction(n) == 0 else "tab:blue" for n in names]
    labels = [f"{n} (lower is better)" if n in LOWER_IS_BETTER else n for n in names]
    figure = Figure(figsize=(8, 1.4 + 0.32 * max(len(names), 1)), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    positions = list(range(len(names)))
    axes.barh(positions, values, color=colours)
    axes.set_yticks(positions, labels)
    axes.invert_yaxis()
    axes.set_xlim(0, 1.12)
    for y, value in enumerate(values):
        axes.text(value + 0.01, y, f"{value:.2f}", va="center", fontsize=8)
    axes.set_title(f"newsbrief eval: {metrics.get('questions', '?')} questions, k={metrics.get('k', '?')}")
    figure.tight_layout()
    figure.savefig(path, format="png")


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _row(cells: Iterable[object]) -> str:
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def _short(text: str, limit: int = 140) -> str:
    return (text[:limit] + "…") if len(text) > limit else text


def report_markdown(result: EvalResult, run: Mapping[str, Any] | None = None) -> str:
    """The metrics, then one row per question (and per out-of-window question), failures marked FAIL."""
    lines = ["# newsbrief eval", ""]
    if run:
        lines += [f"- gold: `{run.get('gold', '')}`", f"- run at: {run.get('timestamp', '')}"]
        settings = run.get("settings") or {}
        shown = (
            "llm",
            "k",
            "fetch_k",
            "hybrid",
            "recency_weight",
            "recency_days",
            "second_chunk_weight",
            "redundancy",
            "reranker",
            "chunk_tokens",
            "min_support",
        )
        lines.append("- settings: " + ", ".join(f"{key}={settings[key]}" for key in shown if key in settings))
        options = {key: value for key, value in (run.get("options") or {}).items() if value not in (None, False)}
        if options:
            lines.append("- options: " + ", ".join(f"{key}={value}" for key, value in options.items()))
        lines.append("")
    lines += ["| metric | value |", "|---|---|"]
    lines += [_row([name, "—" if value is None else value]) for name, value in result.metrics.items()]
    passed = sum(r.passed for r in result.rows)
    lines += ["", "## Questions", "", f"{passed} of {len(result.rows)} passed.", ""]
    lines += [
        "| id | question | gold | short answer | our answer | cited doc | hit rank | pass |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in result.rows:
        verdict = "pass" if r.passed else "FAIL"
        gold = r.gold or "(unanswerable: abstain)"
        cells = [
            r.id,
            r.question,
            gold,
            r.short_answer or "",
            _short(r.answer),
            r.cited_doc or "",
            r.rank or "",
            verdict,
        ]
        lines.append(_row(cells))
    if result.out_of_window:
        passed = sum(r.passed for r in result.out_of_window)
        lines += [
            "",
            "## Out of window",
            "",
            "Answerable questions asked as of the day before their earliest gold article: abstaining is right.",
            f"{passed} of {len(result.out_of_window)} abstained.",
            "",
            "| id | question | as of | our answer | cited doc | pass |",
            "|---|---|---|---|---|---|",
        ]
        for r in result.out_of_window:
            verdict = "pass" if r.passed else "FAIL"
            lines.append(_row([r.id, r.question, r.as_of or "", _short(r.answer), r.cited_doc or "", verdict]))
    return "\n".join(lines) + "\n"
