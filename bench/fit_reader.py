"""Fit the reader's weights (rag/reader/) on RealTime QA dev, cross-validated by week.

Three small models, fitted in order, each on a handful of named features:

1. sentences — a softmax over a question's sentences, towards those holding the gold answer;
2. spans — a softmax over the candidate spans of the best sentences, towards those matching it;
3. confidence — a logistic answer/decline model: questions asked in their week (answer) against the
   same questions asked the day before their news broke (decline); its threshold is the lowest that
   keeps false abstention on the training weeks at or under ``--max-false-abstention``.

Every figure is reported twice: in-sample (fitted and scored on all dev weeks) and cross-validated
(each week scored with weights fitted on the other weeks). Only the cross-validated one predicts
how the weights do on later weeks. ``--write`` stores the all-weeks fit in rag/data/reader_weights.json.

    python bench/fit_reader.py --store /tmp/rtqa/home            # builds the evidence cache once
    python bench/fit_reader.py --store /tmp/rtqa/home --write    # and writes the weights

The evidence cache (retrieved chunks per question) holds dataset text: it lives under /tmp and
is never committed.
"""

from __future__ import annotations

import argparse
import json
import math
import pickle
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag import nlp  # noqa: E402
from rag.answer import (  # noqa: E402
    NONE_OF_THE_ABOVE,
    _choice_key,
    choice_features,
    for_reading,
    within_question_window,
)
from rag.evaluate import contains, exact_match, expected_choices, token_f1  # noqa: E402
from rag.question import Frame, analyse  # noqa: E402
from rag.reader import (  # noqa: E402
    DEFAULT_WEIGHTS,
    WEIGHTS_FILE,
    Weights,
    answering_sentences,
    find_spans,
    read,
    score_sentences,
)
from rag.reader.weights import load_weights  # noqa: E402
from rag.retrieve import Query, retrieve  # noqa: E402
from rag.settings import load_settings  # noqa: E402
from rag.store import open_store  # noqa: E402
from rag.types import Evidence  # noqa: E402

DATA = ROOT.parent / "shared" / "datasets" / "realtimeqa-2022"
SENTENCE_FEATURES = tuple(DEFAULT_WEIGHTS.sentence)
SPAN_FEATURES = tuple(DEFAULT_WEIGHTS.span)
CONFIDENCE_FEATURES = tuple(k for k in DEFAULT_WEIGHTS.confidence if k != "bias")
CHOICE_FEATURES = tuple(DEFAULT_WEIGHTS.choice)
L2 = 0.1  # ridge on every weight: few features, ~100 questions a fold


@dataclass
class Case:
    """One dev question with its retrieved evidence, in its week and the day before its news."""

    item: dict
    nota_item: dict | None
    week: str
    evidence: list[Evidence]  # as of the question date, bounded by its own time words
    early: list[Evidence]  # as of the day before its earliest gold article
    as_of: str
    early_as_of: str


# ---------------------------------------------------------------- the evidence cache


def build_cases(store_home: Path, cache: Path, k: int, limit: int | None = None) -> list[Case]:
    if cache.exists():
        return pickle.loads(cache.read_bytes())
    settings = load_settings(home=store_home)
    store = open_store(settings)
    rows = [json.loads(line) for line in (DATA / "queries-dev.jsonl").read_text().splitlines() if line.strip()]
    rows = rows[:limit]
    nota_rows = {
        row["id"].removesuffix("_nota"): row
        for row in map(json.loads, (DATA / "queries-dev-nota.jsonl").read_text().splitlines())
    }
    cases = []
    started = time.perf_counter()
    for n, item in enumerate(rows, start=1):
        earliest = min(date.fromisoformat(e["published_at"]) for e in item["evidence"])
        early_as_of = (earliest - timedelta(days=1)).isoformat()
        query = within_question_window(Query(item["question"], as_of=item["question_date"], k=k))
        early_query = within_question_window(Query(item["question"], as_of=early_as_of, k=k))
        qd = date.fromisoformat(item["question_date"])
        cases.append(
            Case(
                item=item,
                nota_item=nota_rows.get(item["id"]),
                week=f"{qd.isocalendar().year}-W{qd.isocalendar().week:02d}",
                # what ``ask`` reads: for some questions more of the best article (rag.answer.for_reading)
                evidence=for_reading(store, item["question"], retrieve(store, query, settings)),
                early=for_reading(store, item["question"], retrieve(store, early_query, settings)),
                as_of=query.as_of or item["question_date"],
                early_as_of=early_as_of,
            )
        )
        if n % 20 == 0:
            print(f"  cached {n}/{len(rows)} questions ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    cache.write_bytes(pickle.dumps(cases))
    return cases


class MemoEmbedder:
    """The store's embedder with a memo: the fit embeds the same sentences under many weights."""

    def __init__(self, embedder) -> None:
        self.embedder, self.memo = embedder, {}

    def embed(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self.memo]
        if missing:
            self.memo.update(zip(missing, self.embedder.embed(missing), strict=True))
        return np.array([self.memo[t] for t in texts])


def memoise_embeddings() -> None:
    import rag.answer
    from rag.embed import embedder_for

    cached: dict[int, MemoEmbedder] = {}

    def memo_embedder_for(settings):
        real = embedder_for(settings)
        return cached.setdefault(id(real), MemoEmbedder(real))

    rag.answer.embedder_for = memo_embedder_for


# ---------------------------------------------------------------- models


def _softmax_loss(w: np.ndarray, groups: list[tuple[np.ndarray, np.ndarray]]) -> tuple[float, np.ndarray]:
    """Cross-entropy of each group's softmax against its target distribution, plus the ridge."""
    loss, grad = L2 * float(w @ w), 2 * L2 * w
    for x, target in groups:
        z = x @ w
        z = z - z.max()
        p = np.exp(z) / np.exp(z).sum()
        loss -= float(target @ np.log(p + 1e-12))
        grad -= x.T @ (target - p)
    return loss, grad


def fit_softmax(groups: list[tuple[np.ndarray, np.ndarray]], size: int) -> np.ndarray:
    useful = [(x, t / t.sum()) for x, t in groups if t.sum() > 0 and len(t) > 1]
    if not useful:
        return np.zeros(size)
    result = minimize(_softmax_loss, np.zeros(size), args=(useful,), jac=True, method="L-BFGS-B")
    return result.x


def _logistic_loss(w: np.ndarray, x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    z = x @ w
    p = 1 / (1 + np.exp(-z))
    loss = -float(np.sum(y * np.log(p + 1e-12) + (1 - y) * np.log(1 - p + 1e-12))) + L2 * float(w[1:] @ w[1:])
    grad = x.T @ (p - y)
    grad[1:] += 2 * L2 * w[1:]
    return loss, grad


def fit_logistic(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    x1 = np.hstack([np.ones((len(x), 1)), x])
    result = minimize(_logistic_loss, np.zeros(x1.shape[1]), args=(x1, y), jac=True, method="L-BFGS-B")
    return result.x


# ---------------------------------------------------------------- features per stage


def frame_for(case: Case, early: bool = False) -> Frame:
    return analyse(case.item["question"], date.fromisoformat(case.early_as_of if early else case.as_of))


def top(evidence: list[Evidence], k: int) -> list[Evidence]:
    """What the answerer reads: the first k retrieved chunks (no re-ranking: it cost hits@5, see RESULTS)."""
    return evidence[:k]


def sentence_groups(cases: list[Case], k: int) -> list[tuple[np.ndarray, np.ndarray]]:
    groups = []
    for case in cases:
        frame = frame_for(case)
        scored = score_sentences(frame, top(case.evidence, k), DEFAULT_WEIGHTS)
        if not scored:
            continue
        x = np.array([[s.features[f] for f in SENTENCE_FEATURES] for s in scored])
        y = np.array([1.0 if contains(s.sentence.text, case.item["answer"]) else 0.0 for s in scored])
        groups.append((x, y))
    return groups


def span_groups(cases: list[Case], weights: Weights, k: int) -> list[tuple[np.ndarray, np.ndarray]]:
    groups = []
    for case in cases:
        frame = frame_for(case)
        evidence = top(case.evidence, k)
        scored, _ = answering_sentences(frame, score_sentences(frame, evidence, weights), evidence, weights)
        spans = find_spans(frame, scored, evidence, weights)  # as the reader finds them: see read()
        if not spans:
            continue
        x = np.array([[s.features[f] for f in SPAN_FEATURES] for s in spans])
        y = np.array(
            [max(exact_match(s.text, case.item["answer"]), token_f1(s.text, case.item["answer"])) for s in spans]
        )
        groups.append((x, np.where(y >= 0.5, y, 0.0)))  # graded: the exact span over a near miss
    return groups


def confidence_rows(cases: list[Case], weights: Weights, k: int) -> tuple[np.ndarray, np.ndarray]:
    x, y = [], []
    for case in cases:
        for early, label in ((False, 1.0), (True, 0.0)):
            frame = frame_for(case, early)
            evidence = top(case.early if early else case.evidence, k)
            if not evidence:
                continue
            reading = read(frame, evidence, weights)
            x.append([reading.features[f] for f in CONFIDENCE_FEATURES])
            y.append(label)
    return np.array(x), np.array(y)


def choice_groups(cases: list[Case], weights: Weights, k: int, settings) -> list[tuple[np.ndarray, np.ndarray]]:
    groups = []
    for case in cases:
        frame = frame_for(case)
        evidence = top(case.evidence, k)
        features, _ = choice_features(frame, case.item["choices"], evidence, settings, weights)
        x = np.array([[f[name] for name in CHOICE_FEATURES] for f in features])
        y = np.array([1.0 if i in expected_choices(case.item) else 0.0 for i in range(len(features))])
        groups.append((x, y))
    return groups


def nota_support(case: Case, weights: Weights, k: int, settings) -> tuple[int, float, int | None]:
    """On the none-of-the-above form: (best listed choice, its support, the NOTA choice's index)."""
    item = case.nota_item
    frame = frame_for(case)
    evidence = top(case.evidence, k)
    nota = next(i for i, c in enumerate(item["choices"]) if _choice_key(c) == NONE_OF_THE_ABOVE)
    listed = [i for i in range(len(item["choices"])) if i != nota]
    features, _ = choice_features(frame, [item["choices"][i] for i in listed], evidence, settings, weights)
    values = [Weights.score(weights.choice, f) for f in features]
    row = max(range(len(listed)), key=lambda r: values[r])
    return listed[row], features[row]["support"], nota


def fit(cases: list[Case], k: int, max_false_abstention: float, settings) -> Weights:
    """Every stage on ``cases``, in order: sentences, spans, confidence, choices, NOTA."""
    w_sentence = fit_softmax(sentence_groups(cases, k), len(SENTENCE_FEATURES))
    weights = replace(DEFAULT_WEIGHTS, sentence=dict(zip(SENTENCE_FEATURES, map(float, w_sentence), strict=True)))
    w_span = fit_softmax(span_groups(cases, weights, k), len(SPAN_FEATURES))
    weights = replace(weights, span=dict(zip(SPAN_FEATURES, map(float, w_span), strict=True)))

    # How many best-ranked articles the answer may come from: the count that gets most answers right
    # (right short answer or quote, from a gold article) on these weeks, before any decline.
    def passing(w: Weights) -> tuple[int, int]:
        return sum(answer_passes(c, read(frame_for(c), top(c.evidence, k), w)) for c in cases), -w.lead_articles

    weights = max((replace(weights, lead_articles=n) for n in LEAD_ARTICLE_OPTIONS), key=passing)
    x, y = confidence_rows(cases, weights, k)
    w_conf = fit_logistic(x, y)
    confidence = {"bias": float(w_conf[0]), **dict(zip(CONFIDENCE_FEATURES, map(float, w_conf[1:]), strict=True))}
    weights = replace(weights, confidence=confidence, threshold=0.0)
    # The threshold: the highest that keeps false abstention on these weeks within the bound.
    probabilities = sorted(
        1 / (1 + math.exp(-Weights.score(confidence, dict(zip(CONFIDENCE_FEATURES, row, strict=True)))))
        for row, label in zip(x, y, strict=True)
        if label == 1.0
    )
    allowed = int(max_false_abstention * len(probabilities))
    threshold = probabilities[allowed] - 1e-9 if probabilities else 0.5
    weights = replace(weights, threshold=float(threshold))
    if settings is None:
        return weights
    w_choice = fit_softmax(choice_groups(cases, weights, k, settings), len(CHOICE_FEATURES))
    weights = replace(weights, choice=dict(zip(CHOICE_FEATURES, map(float, w_choice), strict=True)))
    # NOTA: the support bound that gets most none-of-the-above questions right on these weeks.
    rows = [(nota_support(c, weights, k, settings), c.nota_item) for c in cases if c.nota_item]
    bounds = sorted({support for (_, support, _), _ in rows} | {0.0})

    def accuracy(bound: float) -> float:
        right = 0
        for (best, support, nota), item in rows:
            picked = nota if support < bound else best
            right += picked in expected_choices(item)
        return right / max(1, len(rows))

    best_bound = max(bounds, key=lambda b: (accuracy(b + 1e-9), -b))
    return replace(weights, nota=float(best_bound + 1e-9))


# ---------------------------------------------------------------- scoring a set of weights

LEAD_ARTICLE_OPTIONS = (1, 2, 3)


def answer_passes(case: Case, reading) -> bool:
    """The eval's pass, before the decline: the quote or the short answer holds the gold answer, and
    the sentence the answer stands on is from a gold article."""
    gold = case.item["answer"]
    short = reading.span.text if reading.span else ""
    quoted = " ".join(s.sentence.text for s in reading.support) + " " + short
    if not reading.support or not (contains(quoted, gold) or exact_match(short, gold)):
        return False
    lead = reading.span.sentence if reading.span else reading.support[0]
    return case.evidence[lead.sentence.evidence_index].article_id in {e["doc_id"] for e in case.item["evidence"]}


def score(cases: list[Case], weights: Weights, k: int, settings) -> dict[str, float]:
    totals: dict[str, float] = defaultdict(float)
    for case in cases:
        gold = case.item["answer"]
        gold_ids = {e["doc_id"] for e in case.item["evidence"]}
        frame = frame_for(case)
        ranked = case.evidence
        articles = list(dict.fromkeys(ev.article_id for ev in ranked))[:10]
        rank = next((n for n, a in enumerate(articles, start=1) if a in gold_ids), None)
        totals["hits@1"] += rank == 1
        totals["hits@5"] += bool(rank and rank <= 5)
        totals["mrr@10"] += 1 / rank if rank else 0.0
        evidence = ranked[:k]
        reading = read(frame, evidence, weights)
        if reading.answered:
            totals["answer_passes"] += answer_passes(case, reading)
            short = reading.span.text if reading.span else ""
            totals["short_answer_em"] += exact_match(short, gold)
            totals["short_answer_f1"] += token_f1(short, gold)
            quoted = " ".join(s.sentence.text for s in reading.support) + " " + short
            totals["answer_contains_gold"] += contains(quoted, gold)
            lead = reading.span.sentence if reading.span else reading.support[0]
            totals["cited_article_is_gold"] += evidence[lead.sentence.evidence_index].article_id in gold_ids
        else:
            totals["false_abstention"] += 1
        early_frame = frame_for(case, True)
        early = top(case.early, k)
        if not early or not read(early_frame, early, weights).answered:
            totals["abstention_out_of_window"] += 1
        if settings is not None:
            features, _ = choice_features(frame, case.item["choices"], evidence, settings, weights)
            values = [Weights.score(weights.choice, f) for f in features]
            totals["multiple_choice_accuracy"] += max(range(len(values)), key=values.__getitem__) in expected_choices(
                case.item
            )
            if case.nota_item:
                best, support, nota = nota_support(case, weights, k, settings)
                totals["nota_accuracy"] += (nota if support < weights.nota else best) in expected_choices(
                    case.nota_item
                )
    n = len(cases) or 1
    names = ["hits@1", "hits@5", "mrr@10", "short_answer_em", "short_answer_f1", "answer_contains_gold"]
    names += ["cited_article_is_gold", "answer_passes", "false_abstention", "abstention_out_of_window"]
    if settings is not None:
        names += ["multiple_choice_accuracy", "nota_accuracy"]
    return {name: totals[name] / n for name in names}


def record_of(weights: Weights) -> dict:
    return {
        "sentence": weights.sentence,
        "span": weights.span,
        "confidence": weights.confidence,
        "threshold": weights.threshold,
        "choice": weights.choice,
        "nota": weights.nota,
        "lead_articles": weights.lead_articles,
        "citation_headline": load_weights().citation_headline,  # fitted by bench/fit_citation.py
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True, help="store holding the full RealTime QA corpus")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/newsbrief-reader-cache.pkl"))
    parser.add_argument("--k", type=int, default=8, help="chunks the answerer reads (settings.k)")
    parser.add_argument("--max-false-abstention", type=float, default=0.03)
    parser.add_argument("--no-choices", action="store_true", help="skip multiple choice (no embedding model calls)")
    parser.add_argument("--limit", type=int, help="only the first N questions (a smoke run)")
    parser.add_argument("--write", action="store_true", help="write the all-weeks fit to rag/data/reader_weights.json")
    args = parser.parse_args()
    if not DATA.exists():
        sys.exit(f"{DATA} is absent: nothing to fit on")
    nlp.CACHE_SIZE = 200_000  # the fit re-reads the same sentences under many weights
    memoise_embeddings()
    cases = build_cases(args.store, args.cache, k=20, limit=args.limit)
    weeks = sorted({c.week for c in cases})
    print(f"{len(cases)} dev questions in {len(weeks)} weeks; reading the top {args.k} chunks")

    settings = None if args.no_choices else load_settings(home=args.store)
    fitted = fit(cases, args.k, args.max_false_abstention, settings)
    in_sample = score(cases, fitted, args.k, settings)
    totals: dict[str, float] = defaultdict(float)
    for week in weeks:
        train = [c for c in cases if c.week != week]
        test = [c for c in cases if c.week == week]
        fold = score(test, fit(train, args.k, args.max_false_abstention, settings), args.k, settings)
        for name, value in fold.items():
            totals[name] += value * len(test)
    cross = {name: value / len(cases) for name, value in totals.items()}
    print(f"{'metric':<28}{'in-sample':>10}{'cross-validated':>17}")
    for name in in_sample:
        print(f"{name:<28}{in_sample[name]:>10.3f}{cross[name]:>17.3f}")
    print(
        "weights:",
        json.dumps(
            {
                "sentence": fitted.sentence,
                "span": fitted.span,
                "confidence": fitted.confidence,
                "threshold": fitted.threshold,
                "lead_articles": fitted.lead_articles,
            },
            indent=1,
        ),
    )
    if args.write:
        kept = json.loads(WEIGHTS_FILE.read_text(encoding="utf-8")) if WEIGHTS_FILE.exists() else {}
        record = {
            **record_of(fitted),
            "citation_headline_cited_gold": kept.get("citation_headline_cited_gold"),  # bench/fit_citation.py's
            "fitted_on": "RealTime QA 2022 dev (144 questions), bench/fit_reader.py",
            "in_sample": in_sample,
            "cross_validated_by_week": cross,
        }
        WEIGHTS_FILE.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {WEIGHTS_FILE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
