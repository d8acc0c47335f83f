"""Toxic spans: which sentences of a flagged comment the model finds worst.

`sentences` cuts a text into sentence offsets (end punctuation followed by a space, or a line
break), trimmed of surrounding spaces, so text[start:end] is the sentence as written. A
comment of many sentences is cut into at most MAX_PIECES pieces by joining neighbours, so
one extra model call stays bounded whatever the length. `pick` turns the per-sentence
scores into the worst few spans.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from moderator.core.models import Scores, Span

MAX_PIECES = 24
MAX_SPANS = 3
_BREAK = re.compile(r"[.!?…][\"')\]»\u201d\u2019]*(\s+)|(\n\s*)")
_LETTER = re.compile(r"\w")


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence that has a letter or digit, in order."""
    found: list[tuple[int, int]] = []
    start = 0
    for cut in _BREAK.finditer(text):
        gap = cut.start(1) if cut.group(1) is not None else cut.start(2)
        found += _trimmed(text, start, gap)
        start = cut.end()
    found += _trimmed(text, start, len(text))
    return _bounded(found)


def _trimmed(text: str, start: int, end: int) -> list[tuple[int, int]]:
    piece = text[start:end]
    if not _LETTER.search(piece):
        return []
    left = len(piece) - len(piece.lstrip())
    right = len(piece.rstrip())
    return [(start + left, start + right)]


def _bounded(pieces: list[tuple[int, int]]) -> list[tuple[int, int]]:
    while len(pieces) > MAX_PIECES:
        merged = [(a[0], b[1]) for a, b in zip(pieces[::2], pieces[1::2], strict=False)]
        if len(pieces) % 2:
            merged.append(pieces[-1])
        pieces = merged
    return pieces


def pick(
    pieces: Sequence[tuple[int, int]],
    scores: Sequence[Scores],
    triggers: Mapping[str, float],
    limit: int = MAX_SPANS,
) -> list[Span]:
    """The worst pieces, worst first: those whose score on a triggering label reaches that
    label's threshold, or else the single worst piece. Empty without triggers."""
    if not triggers or not pieces:
        return []
    rated: list[tuple[float, float, Span]] = []
    for (start, end), piece_scores in zip(pieces, scores, strict=True):
        label, score, threshold = max(
            ((lb, piece_scores.get(lb) or 0.0, t) for lb, t in triggers.items()),
            key=lambda item: item[1] - item[2],
        )
        rated.append((score - threshold, score, Span(start, end, label, round(score, 4))))
    rated.sort(key=lambda r: (-r[0], r[2].start))
    over = [span for margin, _, span in rated if margin >= 0]
    return over[:limit] if over else [rated[0][2]]
