"""Ports the core needs from the outside world, named by role."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from moderator.core.models import Match, ModelInfo, Scores


class Scorer(Protocol):
    """A toxicity model.

    `score` takes a list (never a bare string) and returns one dict per text with all seven
    LABELS as keys; a label the model lacks is None. Long texts are scored whole (in windows when
    the model has a length limit), never silently truncated. Raises on model failure.
    """

    @property
    def info(self) -> ModelInfo: ...

    def score(self, texts: Sequence[str]) -> list[Scores]: ...


class Lexicon(Protocol):
    """Finds slurs, dehumanising phrases, profanity and threats, with spans into the text."""

    def find(self, text: str, language: str | None = None) -> list[Match]: ...
