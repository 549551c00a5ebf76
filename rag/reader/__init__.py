"""(Frame, evidence) → Reading: the sentences that answer, the asked-for span, or why there is none.

Pure scoring over retrieved chunks, in three steps:

1. **Sentences** are scored on cheap signals: the question's words, its named things and its event
   in the sentence, a sentence of the asked-for kind (a number for "how many", a reason cue for
   "why"), and the rank of its chunk.
2. **Spans**: the best few sentences are parsed (spaCy) and every entity or phrase of the asked-for
   kind that the question does not already name becomes a candidate, scored on its sentence, how
   well its kind fits, how close it stands to the question's words, and how many sentences repeat it.
3. **Coverage**: the answer must hold the question's named things, its event as having happened
   (not merely expected), and, for factoid questions, a span of the asked-for kind; otherwise the
   reading says what was missing and the answerer declines.

The weights are fitted by ``bench/fit_reader.py`` (week-wise cross-validation on RealTime QA dev)
and stored in ``rag/data/reader_weights.json``; nothing here is tuned by hand.
"""

from rag.reader.decision import Reading, answering_sentences, read
from rag.reader.sentences import REASON_CUE, STRONG_CUE, ScoredSentence, is_quotable, says, score_sentences
from rag.reader.spans import Span, find_spans
from rag.reader.weights import DEFAULT_WEIGHTS, WEIGHTS_FILE, Weights, load_weights

__all__ = [
    "DEFAULT_WEIGHTS",
    "REASON_CUE",
    "STRONG_CUE",
    "WEIGHTS_FILE",
    "Reading",
    "ScoredSentence",
    "Span",
    "Weights",
    "answering_sentences",
    "find_spans",
    "is_quotable",
    "load_weights",
    "read",
    "says",
    "score_sentences",
]
