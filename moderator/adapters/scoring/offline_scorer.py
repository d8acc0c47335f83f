"""OfflineScorer: the bundled fallback `Scorer` over alt-profanity-check.

A linear model (TF-IDF + SVM) trained on offensive-language data; it ships inside the wheel, so
it needs no download and no torch. It knows one thing, how offensive a text is, reported as
`toxicity`; the other six labels are None. Bag-of-words: texts of any length are scored whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import metadata

from moderator.core.models import LABELS, ModelInfo, Scores
from moderator.errors import ModelUnavailableError

_PACKAGE = "alt-profanity-check"


class OfflineScorer:
    """Scores with alt-profanity-check's `predict_prob`; `info.fallback` is True.

    The package loads its model when first imported (about a second), so that import happens
    here in the constructor, not when this module is imported. A broken install raises
    ModelUnavailableError. `batch_size` bounds how many texts are vectorised at once.
    """

    def __init__(self, batch_size: int = 512) -> None:
        try:
            import profanity_check

            version = metadata.version(_PACKAGE)
        except Exception as exc:  # import of pickled sklearn models can fail in many ways
            raise ModelUnavailableError(
                f"the offline model ({_PACKAGE}) cannot load: {exc}"
            ) from exc
        self._predict_prob = profanity_check.predict_prob
        self._info = ModelInfo(name=_PACKAGE, version=version, fallback=True)
        self._batch_size = max(1, batch_size)

    @property
    def info(self) -> ModelInfo:
        return self._info

    def score(self, texts: Sequence[str]) -> list[Scores]:
        """One dict per text, in order: `toxicity` in [0, 1], the six other LABELS None.

        Raises TypeError for a bare string.
        """
        if isinstance(texts, str):
            raise TypeError("score() takes a list of texts, not a single string")
        items = list(texts)
        results: list[Scores] = []
        for start in range(0, len(items), self._batch_size):
            probs = self._predict_prob(items[start : start + self._batch_size])
            results += [_scores(float(p)) for p in probs]
        return results


def _scores(toxicity: float) -> Scores:
    scores: Scores = dict.fromkeys(LABELS)
    scores["toxicity"] = round(toxicity, 6)
    return scores
