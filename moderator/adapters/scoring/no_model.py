"""NoModel: a `Scorer` with no model at all (every label None), for scoring by the lexicon and
the policy alone, e.g. in the web process (which never loads a model)."""

from __future__ import annotations

from collections.abc import Sequence

from moderator.core.models import LABELS, ModelInfo, Scores


class NoModel:
    @property
    def info(self) -> ModelInfo:
        return ModelInfo(name="lexicon-only", version="1")

    def score(self, texts: Sequence[str]) -> list[Scores]:
        return [dict.fromkeys(LABELS) for _ in texts]
