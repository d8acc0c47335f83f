"""Split a comment into plain and highlighted pieces for the template (which escapes each), in
one pass over the sorted cut points: O((n + m) log m) for m marks, whatever the text holds (a
comment of 5,000 slurs costs milliseconds, not seconds). Queue cards show a bounded excerpt
around the worst match; the item page shows the whole text."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

Piece = tuple[str, dict[str, Any] | None, dict[str, Any] | None]
Mark = dict[str, Any]
Run = tuple[Mark | None, list[tuple[str, Mark | None]]]
#: Characters of comment text a queue card shows (the item page shows all of it).
EXCERPT_CHARS = 600


def _layer(marks: Iterable[Mark] | None, length: int) -> list[Mark]:
    """The marks that are sound: integer offsets inside the text, non-empty, not overlapping an
    earlier one; sorted by start. Anything else is skipped rather than trusted: the text is
    hostile, the record could be stale."""
    out: list[Mark] = []
    pos = 0
    for m in sorted(marks or [], key=lambda m: (_int(m.get("start")), -_int(m.get("end")))):
        start, end = m.get("start"), m.get("end")
        if not isinstance(start, int) or not isinstance(end, int):
            continue
        if start < pos or end <= start or end > length:
            continue
        out.append(m)
        pos = end
    return out


def _int(value: Any) -> int:
    return value if isinstance(value, int) else 0


def segments(text: str, matches: list[Mark], spans: list[Mark] | None = None) -> list[Piece]:
    """[(piece, lexicon match or None, worst-sentence span or None)], covering `text` exactly
    once, in order. Matches and spans may overlap each other; a piece is cut wherever either
    starts or ends, so each piece carries both layers. Each layer is walked once, in step with
    the cut points."""
    ms, ss = _layer(matches, len(text)), _layer(spans, len(text))
    cuts = sorted({0, len(text), *(m[k] for m in ms + ss for k in ("start", "end"))})
    out: list[Piece] = []
    i = j = 0
    for a, b in pairwise(cuts):
        while i < len(ms) and ms[i]["end"] <= a:
            i += 1
        while j < len(ss) and ss[j]["end"] <= a:
            j += 1
        match = ms[i] if i < len(ms) and ms[i]["start"] <= a else None
        span = ss[j] if j < len(ss) and ss[j]["start"] <= a else None
        out.append((text[a:b], match, span))
    return out


def http_url(value: str | None) -> str | None:
    """The URL if it is plain http(s), else None: never render javascript:, data: and the like."""
    if isinstance(value, str) and value.lower().startswith(("http://", "https://")):
        return value
    return None


def runs(text: str, matches: list[Mark], spans: list[Mark] | None = None) -> list[Run]:
    """`segments` grouped by span: [(span or None, [(piece, match or None)])], so a worst
    sentence is one element with its lexicon marks inside."""
    out: list[Run] = []
    for piece, match, span in segments(text, matches, spans):
        if out and out[-1][0] is span:
            out[-1][1].append((piece, match))
        else:
            out.append((span, [(piece, match)]))
    return out


@dataclass(frozen=True, slots=True)
class Excerpt:
    """What a card shows of a comment: its runs, and how many characters are left out before
    and after them."""

    runs: list[Run]
    before: int
    after: int


def excerpt(
    text: str, matches: list[Mark], spans: list[Mark] | None = None, limit: int = EXCERPT_CHARS
) -> Excerpt:
    """At most `limit` characters of `text` (all of it when `limit` is 0), placed to show the
    worst match (else the worst sentence, else the start), with marks clipped to the window."""
    if not limit or len(text) <= limit:
        return Excerpt(runs(text, matches, spans), 0, 0)
    start = max(0, min(_anchor(text, matches, spans) - limit // 3, len(text) - limit))
    end = start + limit
    return Excerpt(
        runs(text[start:end], _clip(matches, start, end), _clip(spans, start, end)),
        start,
        len(text) - end,
    )


def _anchor(text: str, matches: list[Mark], spans: list[Mark] | None) -> int:
    """Where the worst match starts (highest severity, then earliest), else the first span."""
    sound = _layer(matches, len(text))
    if sound:
        return min(sound, key=lambda m: (-_int(m.get("severity")), m["start"]))["start"]  # type: ignore[no-any-return]
    found = _layer(spans, len(text))
    return found[0]["start"] if found else 0  # type: ignore[no-any-return]


def _clip(marks: list[Mark] | None, start: int, end: int) -> list[Mark]:
    """The marks that overlap [start, end), cut to it and shifted to the window's offsets."""
    out = []
    for m in marks or []:
        a, b = m.get("start"), m.get("end")
        if isinstance(a, int) and isinstance(b, int) and a < end and b > start:
            out.append({**m, "start": max(a, start) - start, "end": min(b, end) - start})
    return out
