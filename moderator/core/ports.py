"""Ports the core needs from the outside world, named by role."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from moderator.core.language import Detection
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


@runtime_checkable
class ContextScorer(Scorer, Protocol):
    """A Scorer that can also read each text's language and lexicon severity (the bundled model
    with an English stacker). The scoring service passes them when `reads_context` is True."""

    @property
    def reads_context(self) -> bool: ...

    def score(
        self,
        texts: Sequence[str],
        languages: Sequence[str | None] | None = None,
        severities: Sequence[float] | None = None,
    ) -> list[Scores]: ...


class SiteScorer(Protocol):
    """A site model: the probability that this site's reviewers would reject each text (one
    float per text, in order). `base` names the model whose toxicity it reads as its prior;
    `base_toxicity` passes that model's scores where the caller has them. Raises on model
    failure."""

    @property
    def info(self) -> ModelInfo: ...

    @property
    def base_info(self) -> ModelInfo: ...

    def score(
        self, texts: Sequence[str], base_toxicity: Sequence[float | None] | None = None
    ) -> list[float]: ...


class Lexicon(Protocol):
    """Finds slurs, dehumanising phrases, profanity and threats, with spans into the text.

    `version` names the loaded data (reasons quote it); `languages` are the ones it covers.
    """

    @property
    def version(self) -> str: ...

    @property
    def languages(self) -> tuple[str, ...]: ...

    def find(self, text: str, language: str | None = None) -> list[Match]: ...

    def find_within(
        self, text: str, language: str | None = None, budget_s: float | None = None
    ) -> tuple[list[Match], bool]:
        """`find` under a time ceiling: (matches so far, whether the scan completed)."""
        ...


class LanguageDetector(Protocol):
    """Guesses the language of each text offline (no download at run time).

    `detect` takes a list and returns one Detection per text, in order: an ISO 639-1 code, or
    None when the guess is below the detector's confidence threshold (very short texts). Never
    raises on any text.
    """

    def detect(self, texts: Sequence[str]) -> list[Detection]: ...
