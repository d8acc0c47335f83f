"""Split a comment into plain and highlighted pieces for the template (which escapes each)."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import pairwise
from typing import Any

Piece = tuple[str, dict[str, Any] | None, dict[str, Any] | None]


def _layer(marks: Iterable[dict[str, Any]] | None, length: int) -> list[dict[str, Any]]:
    """The marks that are sound: integer offsets inside the text, non-empty, not overlapping an
    earlier one. Anything else is skipped rather than trusted: the text is hostile, the record
    could be stale."""
    out: list[dict[str, Any]] = []
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


def segments(
    text: str, matches: list[dict[str, Any]], spans: list[dict[str, Any]] | None = None
) -> list[Piece]:
    """[(piece, lexicon match or None, worst-sentence span or None)], covering `text` exactly
    once, in order. Matches and spans may overlap each other; a piece is cut wherever either
    starts or ends, so each piece carries both layers."""
    ms, ss = _layer(matches, len(text)), _layer(spans, len(text))
    cuts = sorted({0, len(text), *(m[k] for m in ms + ss for k in ("start", "end"))})
    out: list[Piece] = []
    for a, b in pairwise(cuts):
        match = next((m for m in ms if m["start"] <= a and b <= m["end"]), None)
        span = next((s for s in ss if s["start"] <= a and b <= s["end"]), None)
        out.append((text[a:b], match, span))
    return out


def http_url(value: str | None) -> str | None:
    """The URL if it is plain http(s), else None: never render javascript:, data: and the like."""
    if isinstance(value, str) and value.lower().startswith(("http://", "https://")):
        return value
    return None


def runs(
    text: str, matches: list[dict[str, Any]], spans: list[dict[str, Any]] | None = None
) -> list[tuple[dict[str, Any] | None, list[tuple[str, dict[str, Any] | None]]]]:
    """`segments` grouped by span: [(span or None, [(piece, match or None)])], so a worst
    sentence is one element with its lexicon marks inside."""
    out: list[tuple[dict[str, Any] | None, list[tuple[str, dict[str, Any] | None]]]] = []
    for piece, match, span in segments(text, matches, spans):
        if out and out[-1][0] is span:
            out[-1][1].append((piece, match))
        else:
            out.append((span, [(piece, match)]))
    return out
