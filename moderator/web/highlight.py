"""Split a comment into plain and highlighted pieces for the template (which escapes each)."""

from __future__ import annotations

from typing import Any


def segments(text: str, matches: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any] | None]]:
    """[(piece, match or None)], covering `text` exactly once. Overlapping or out-of-range
    spans are skipped rather than trusted: the text is hostile, the record could be stale."""
    out: list[tuple[str, dict[str, Any] | None]] = []
    pos = 0
    for m in sorted(matches, key=lambda m: (m.get("start", 0), -m.get("end", 0))):
        start, end = m.get("start"), m.get("end")
        if not isinstance(start, int) or not isinstance(end, int):
            continue
        if start < pos or end <= start or end > len(text):
            continue
        if start > pos:
            out.append((text[pos:start], None))
        out.append((text[start:end], m))
        pos = end
    if pos < len(text):
        out.append((text[pos:], None))
    return out


def http_url(value: str | None) -> str | None:
    """The URL if it is plain http(s), else None: never render javascript:, data: and the like."""
    if isinstance(value, str) and value.lower().startswith(("http://", "https://")):
        return value
    return None
