"""Briefing notes vs classic extractive summarizers: ROUGE on Multi-News clusters (issue 5).

Every system ranks the same candidate sentences (``rag.chunk.sentence_spans`` over each
document) and is held to the same length rule, the gold summary's word count: whole sentences
are added in the system's order of preference until the budget is reached, and the last one is
cut at the budget. The kept sentences are then read in the system's own order (document order for
sumy, round-robin order for the lead baseline, ``rag.brief.summarize``'s order for ours).
ROUGE-1/2/L F1 from ``rouge-score`` with ``use_stemmer=True``.

    nice -n 10 .venv/bin/python bench/rouge_briefs.py                 # 250 test clusters
    nice -n 10 .venv/bin/python bench/rouge_briefs.py --split validation --limit 50 --ablation --no-append

The data (``../shared/datasets/multinews-sample/clusters.jsonl``) is read, never copied; the
script exits 0 with a message when it is absent. Prints a Markdown table and appends it, with
the date and the machine, to bench/RESULTS.md (``--no-append`` to just print).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.brief import DEFAULT_KNOBS, Knobs, summarize  # noqa: E402
from rag.chunk import split_sentences  # noqa: E402

DATA = ROOT.parent / "shared" / "datasets" / "multinews-sample" / "clusters.jsonl"
RESULTS = ROOT / "bench" / "RESULTS.md"
SECTION = "## Briefing notes vs classic summarizers (issue 5)"
_WORD = re.compile(r"\w+(?:['’]\w+)*")

# One system: (documents, max_words) -> the summary text at matched length.
System = Callable[[list[str], int], str]


def fit(ranked: Sequence[tuple[tuple[int, int], str]], max_words: int) -> list[tuple[tuple[int, int], str]]:
    """The length rule shared by every system: whole sentences in order of preference until the
    budget is reached, the last one cut at the budget. Items are (reading-order key, sentence)."""
    kept, used = [], 0
    for key, sentence in ranked:
        if used >= max_words:
            break
        words = sentence.split()
        if used + len(words) > max_words:
            sentence = " ".join(words[: max_words - used])
        kept.append((key, sentence))
        used += len(sentence.split())
    return kept


def ours(knobs: Knobs = DEFAULT_KNOBS) -> System:
    def run(documents: list[str], max_words: int) -> str:
        return " ".join(p.text for p in summarize(documents, max_words, overflow="cut", knobs=knobs))

    return run


def lead_round_robin(documents: list[str], max_words: int) -> str:
    """Sentence 1 of every document, then sentence 2 of every document, and so on."""
    sentences = [[s for s in split_sentences(d) if s.split()] for d in documents]
    ranked = []
    for i in range(max((len(s) for s in sentences), default=0)):
        for doc in sentences:
            if i < len(doc):
                ranked.append(((len(ranked), 0), doc[i]))
    return " ".join(s for _, s in fit(ranked, max_words))


class Tokenizer:
    """sumy's tokenizer interface without NLTK data: our sentence splitter and a word regex."""

    language = "english"

    def to_sentences(self, paragraph: str) -> tuple[str, ...]:
        return tuple(split_sentences(paragraph))

    def to_words(self, sentence: str) -> tuple[str, ...]:
        return tuple(_WORD.findall(sentence))


class _Ranking:
    """Passed to sumy as the sentence count: records sumy's full ranking and keeps everything."""

    def __init__(self) -> None:
        self.ranked: list = []

    def __call__(self, infos):  # SentenceInfo(sentence, order, rating), best first
        self.ranked = list(infos)
        return self.ranked


def sumy_system(name: str) -> System:
    from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence
    from sumy.nlp.stemmers import Stemmer
    from sumy.summarizers.lex_rank import LexRankSummarizer
    from sumy.summarizers.lsa import LsaSummarizer
    from sumy.summarizers.text_rank import TextRankSummarizer
    from sumy.utils import get_stop_words

    cls = {"LexRank": LexRankSummarizer, "TextRank": TextRankSummarizer, "LSA": LsaSummarizer}[name]
    summarizer = cls(Stemmer("english"))
    summarizer.stop_words = get_stop_words("english")
    tokenizer = Tokenizer()

    def run(documents: list[str], max_words: int) -> str:
        paragraphs = []
        for d in documents:
            sentences = [Sentence(s, tokenizer) for s in split_sentences(d) if s.split()]
            if sentences:
                paragraphs.append(Paragraph(sentences))
        document = ObjectDocumentModel(paragraphs)
        if not document.sentences:
            return ""
        ranking = _Ranking()
        summarizer(document, ranking)
        ranked = [((info.order, 0), str(info.sentence)) for info in ranking.ranked]
        return " ".join(s for _, s in sorted(fit(ranked, max_words)))  # sumy reads in document order

    return run


def load(path: Path, split: str, limit: int | None, offset: int = 0) -> list[dict]:
    rows = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            if row.get("split", split) == split:
                rows.append(row)
    return rows[offset : offset + limit if limit else None]


def score(systems: dict[str, System], clusters: list[dict]) -> list[dict[str, object]]:
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    rows = []
    for name, system in systems.items():
        totals = {"rouge1": 0.0, "rouge2": 0.0, "rougeL": 0.0}
        seconds = 0.0
        for cluster in clusters:
            documents = [d["body"] for d in cluster["documents"]]
            gold = cluster["summary"]
            began = time.perf_counter()
            summary = system(documents, len(gold.split()))
            seconds += time.perf_counter() - began
            result = scorer.score(gold, summary)
            for key in totals:
                totals[key] += result[key].fmeasure
        n = max(len(clusters), 1)
        rows.append(
            {
                "system": name,
                "R-1": 100 * totals["rouge1"] / n,
                "R-2": 100 * totals["rouge2"] / n,
                "R-L": 100 * totals["rougeL"] / n,
                "clusters": len(clusters),
                "seconds": seconds,
            }
        )
        print(f"  {name}: done", file=sys.stderr, flush=True)
    return rows


def table(rows: list[dict[str, object]]) -> str:
    lines = ["| system | R-1 | R-2 | R-L | clusters | seconds |", "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| {r['system']} | {r['R-1']:.2f} | {r['R-2']:.2f} | {r['R-L']:.2f} "
            f"| {r['clusters']} | {r['seconds']:.1f} |"
        )
    return "\n".join(lines)


# What each idea is worth: ours with one idea taken out at a time.
ABLATION: list[tuple[str, Knobs]] = [
    ("ours (defaults)", DEFAULT_KNOBS),
    ("− boilerplate/fragment filters", replace(DEFAULT_KNOBS, filters=False)),
    ("− lead prior", replace(DEFAULT_KNOBS, position=0.0)),
    ("− cross-document support", replace(DEFAULT_KNOBS, support=0.0)),
    ("− centrality", replace(DEFAULT_KNOBS, centrality=0.0)),
    ("− MMR redundancy", replace(DEFAULT_KNOBS, redundancy=0.0, near_duplicate=1.01)),
    ("− stand-alone rule (a leaning sentence may be quoted alone)", replace(DEFAULT_KNOBS, standalone=False)),
    ("order: document order instead of lead-then-position", replace(DEFAULT_KNOBS, order="document")),
]


def machine() -> str:
    try:
        import psutil

        memory = f"{psutil.virtual_memory().total / 2**30:.0f} GiB"
    except ImportError:
        memory = "? GiB"
    return f"{os.cpu_count()} cores / {memory}, Python {platform.python_version()}, {platform.machine()}, shared cores"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--split", default="test")
    parser.add_argument("--limit", type=int, default=None, help="score only the first N clusters")
    parser.add_argument("--offset", type=int, default=0)
    parser.add_argument("--ablation", action="store_true", help="ours with one idea removed at a time")
    parser.add_argument("--no-append", action="store_true", help="print only; do not append to bench/RESULTS.md")
    args = parser.parse_args(argv)
    if not args.data.exists():
        print(f"no data at {args.data}: nothing to measure (skipped)")
        return 0
    clusters = load(args.data, args.split, args.limit, args.offset)
    if args.ablation:
        systems: dict[str, System] = {name: ours(knobs) for name, knobs in ABLATION}
    else:
        systems = {"newsbrief summarize (ours)": ours()}
        systems |= {name: sumy_system(name) for name in ("LexRank", "TextRank", "LSA")}
        systems["lead sentences round-robin"] = lead_round_robin
    rows = score(systems, clusters)
    out = table(rows)
    print(out)
    if not args.no_append:
        what = "ablation of ours" if args.ablation else "ours vs sumy and lead baselines"
        append_results(
            SECTION,
            f"{what}, Multi-News {args.split} clusters {args.offset}..{args.offset + len(clusters) - 1}",
            "python bench/rouge_briefs.py",
            argv,
            "Matched length: the gold summary's word count; whole sentences in each system's order of "
            "preference until the budget is reached, the last one cut at it. ROUGE F1 (rouge-score, stemmed).\n\n"
            + out,
        )
    return 0


def append_results(section: str, title: str, script: str, argv: list[str] | None, body: str) -> None:
    """Append a dated ``### title`` with the machine and the exact command to bench/RESULTS.md,
    under ``section`` (a new ``## section`` heading unless it is the file's last one)."""
    command = f"{script} " + " ".join(argv if argv is not None else sys.argv[1:])
    existing = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else ""
    headings = [line for line in existing.splitlines() if line.startswith("## ")]
    header = "" if headings and headings[-1] == section else f"\n{section}\n"
    note = (
        f"{header}\n### {datetime.now():%Y-%m-%d %H:%M} — {title}\n\n"
        f"Machine: {machine()}. Command: `{command.strip()}`. {body}\n"
    )
    with RESULTS.open("a", encoding="utf-8") as f:
        f.write(note)


if __name__ == "__main__":
    raise SystemExit(main())
