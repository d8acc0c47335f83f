"""Which language a comment is in, and what that means for scoring.

The platform's `language` hint wins when present ("es-VE" is read as "es"); otherwise a
LanguageDetector guesses, and a guess below its confidence threshold is no answer (short
comments such as "lol" or "+1" have no language worth routing on). A comment whose language is
known and covered by neither the model nor the lexicon is sent to a human by the policy
(`unsupported language`), never silently scored as English.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

#: The languages Detoxify's `multilingual` model was trained on.
DETOXIFY_MULTILINGUAL: frozenset[str] = frozenset({"en", "fr", "es", "it", "pt", "tr", "ru"})
_CODE = re.compile(r"[a-z]{2,3}")

Source = Literal["hint", "detected", "unknown"]


@dataclass(frozen=True, slots=True)
class Detection:
    """A detector's answer for one text: an ISO 639-1 code, or None when it is unsure."""

    language: str | None
    confidence: float = 0.0


@dataclass(frozen=True, slots=True)
class Resolved:
    """The language scoring uses for one comment, and where it came from."""

    language: str | None
    source: Source
    confidence: float = 0.0

    def describe(self) -> str:
        if self.source == "detected":
            return f"detected, confidence {self.confidence:.2f}"
        return "from the platform's hint" if self.source == "hint" else "unknown"


def primary(code: str | None) -> str | None:
    """ "es-VE" → "es", "EN_us" → "en"; None for an empty or unreadable code."""
    if not code:
        return None
    head = code.strip().replace("_", "-").split("-")[0].lower()
    return head if _CODE.fullmatch(head) else None


def resolve(hint: str | None, detection: Detection | None) -> Resolved:
    """The hint when it is a readable code, else the detection, else unknown."""
    code = primary(hint)
    if code is not None:
        return Resolved(code, "hint", 1.0)
    if detection is not None and detection.language:
        return Resolved(detection.language, "detected", detection.confidence)
    return Resolved(None, "unknown")


def is_unsupported(resolved: Resolved, covered: Iterable[str]) -> bool:
    """Known, and covered by neither the model nor the lexicon."""
    return resolved.language is not None and resolved.language not in set(covered)
