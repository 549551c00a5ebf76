"""Fit the citation's headline weight (``Weights.citation_headline``) on RealTime QA dev, by week.

When several retrieved articles state the answer, the reader cites the one with the best retrieval
score + weight × cosine(question, headline) (rag.reader.decision._anchored): the story about the
asked thing rather than a digest naming it in passing. The answer itself does not change, but the
article it stands on feeds the answer/decline confidence, so every weight of the grid is scored by a
full ``newsbrief eval`` pass (out of window too): cited gold in-sample (each weight on all weeks) and
cross-validated (each week scored with the weight that cites best on the other weeks), beside the
abstention figures that must not get worse. ``--write`` stores the cross-validation's all-weeks pick
in rag/data/reader_weights.json.

    python bench/fit_citation.py --store /tmp/rtqa/home ../shared/datasets/realtimeqa-2022/queries-dev.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.evaluate import QuestionResult, evaluate, load_gold  # noqa: E402
from rag.reader import decision  # noqa: E402
from rag.reader.weights import WEIGHTS_FILE, load_weights  # noqa: E402
from rag.settings import load_settings  # noqa: E402
from rag.store import open_store  # noqa: E402

GRID = (0.0, 0.01, 0.03, 0.06, 0.15, 1.0)


def week(row: QuestionResult) -> tuple[int, int]:
    return date.fromisoformat(str(row.as_of)).isocalendar()[:2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True, help="store holding the full RealTime QA corpus")
    parser.add_argument("gold", type=Path, help="RealTime QA dev questions (queries-dev.jsonl)")
    parser.add_argument("--write", action="store_true", help="write the all-weeks pick to the weights file")
    args = parser.parse_args()
    gold = load_gold(args.gold)
    settings = load_settings(home=args.store)
    store = open_store(settings)
    fitted = load_weights()
    rows: dict[float, list[QuestionResult]] = {}
    print("weight  cited gold  passed  out of window  false abstention  (in-sample)")
    for weight in GRID:
        decision.load_weights = lambda weight=weight: replace(fitted, citation_headline=weight)  # type: ignore[assignment]
        result = evaluate(store, settings, gold, out_of_window=True)
        rows[weight] = result.rows
        m = result.metrics
        passed = sum(r.passed for r in result.rows) / len(result.rows)
        print(
            f"{weight:<7} {m['cited_article_is_gold']:.3f}       {passed:.3f}   "
            f"{m['abstention_out_of_window']:.3f}          {m['false_abstention']:.3f}"
        )

    weeks = sorted({week(r) for r in rows[GRID[0]]})

    def cited(weight: float, among: set[tuple[int, int]]) -> int:
        return sum(r.cited_gold for r in rows[weight] if week(r) in among)

    held_out = 0
    for each in weeks:
        others = set(weeks) - {each}
        pick = max(GRID, key=lambda w: (cited(w, others), -w))  # ties: the smaller weight
        held_out += cited(pick, {each})
    best = max(GRID, key=lambda w: (cited(w, set(weeks)), -w))
    print(f"all-weeks pick: {best}; cited gold in-sample {cited(best, set(weeks)) / len(gold):.3f}")
    print(f"cross-validated by week: cited gold {held_out / len(gold):.3f}")
    if args.write:
        record = json.loads(WEIGHTS_FILE.read_text(encoding="utf-8"))
        record["citation_headline"] = best
        record["citation_headline_cited_gold"] = {
            "in_sample": cited(best, set(weeks)) / len(gold),
            "cross_validated_by_week": held_out / len(gold),
        }
        WEIGHTS_FILE.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        print(f"wrote citation_headline = {best} to {WEIGHTS_FILE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
