"""BM25 weights, computed once per posting when an entry is indexed.

The score of an entry for a query is the sum over the query's terms of
``idf(term) × impact`` (:func:`impact`): term frequency saturated by
:data:`K1`, a term in the heading (number, title, other names) counting
:data:`HEAD_WEIGHT` times one in the text, the text's share normalised by its
length against a fixed pivot (:data:`PIVOT_LENGTH`, in terms) rather than the
index's running average, so an impact never changes once written and does not
depend on the order entries were indexed in.

Stored with each posting, an impact lets the engine read the best entries of a
common word straight from an index (``term, impact DESC``) instead of scoring
the tens of thousands that hold it (:mod:`search.engines.database`).
"""

from __future__ import annotations

K1 = 1.2
B = 0.75
HEAD_WEIGHT = 6.0
PIVOT_LENGTH = 400.0
# The largest impact a posting can have (heading and text saturated).
MAX_IMPACT = (HEAD_WEIGHT + 1.0) * (K1 + 1.0)


# Bands of the order of results when no number is typed: documents, forms,
# clauses, nonconformities and findings (anything numbered but records) come
# before records, whatever their scores (search.engines.database).
NUMBERED = 1
OTHERS = 2


def band(kind: str, number: str) -> int:
    return NUMBERED if kind != "record" and number else OTHERS


def impact(head_tf: int, body_tf: int, length: int) -> float:
    """The BM25 weight of a term in an entry, before its idf."""
    norm = K1 * (1.0 - B) + K1 * B * max(length, 0) / PIVOT_LENGTH
    score = 0.0
    if head_tf > 0:
        score += HEAD_WEIGHT * (K1 + 1.0) * head_tf / (head_tf + K1)
    if body_tf > 0:
        score += (K1 + 1.0) * body_tf / (body_tf + norm)
    return score
