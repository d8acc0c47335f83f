"""OfflineScorer over alt-profanity-check: ships in the wheel, no torch, no download."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from moderator.adapters.scoring.offline_scorer import OfflineScorer
from moderator.core.models import LABELS

TEXTS = [
    "you are a fucking idiot",
    "the council meets on tuesday",
    "what a load of shit",
    "la reunión es el martes",
    "thanks for the article",
]


@pytest.fixture(scope="module")
def scorer() -> OfflineScorer:
    return OfflineScorer()


def test_ranks_an_insult_above_a_neutral_sentence(scorer: OfflineScorer) -> None:
    insult, neutral = scorer.score(["you are a fucking idiot", "the council meets on tuesday"])

    assert insult["toxicity"] > neutral["toxicity"] + 0.5


def test_reports_toxicity_only(scorer: OfflineScorer) -> None:
    (scores,) = scorer.score(["you are a fucking idiot"])

    assert list(scores) == list(LABELS)
    assert isinstance(scores["toxicity"], float) and 0.0 <= scores["toxicity"] <= 1.0
    assert all(scores[label] is None for label in LABELS[1:])


def test_info_says_fallback(scorer: OfflineScorer) -> None:
    assert scorer.info.name == "alt-profanity-check"
    assert scorer.info.version == metadata.version("alt-profanity-check")
    assert scorer.info.fallback is True


def test_long_text_is_scored_whole(scorer: OfflineScorer) -> None:
    benign = "the council meets on tuesday to discuss the new road. " * 2000

    clean, dirty = scorer.score([benign, benign + "you are a fucking idiot"])

    assert dirty["toxicity"] > clean["toxicity"]  # the end of a long text still counts


def test_batches_keep_input_order(scorer: OfflineScorer) -> None:
    alone = [scorer.score([text])[0] for text in TEXTS]

    together = OfflineScorer(batch_size=2).score(TEXTS)

    assert together == alone
    assert len({scores["toxicity"] for scores in alone}) == len(TEXTS)


def test_empty_list_and_bare_string(scorer: OfflineScorer) -> None:
    assert scorer.score([]) == []
    with pytest.raises(TypeError):
        scorer.score("a bare string")  # type: ignore[arg-type]


def test_does_not_import_torch() -> None:
    code = (
        "import sys\n"
        "from moderator.adapters.scoring.offline_scorer import OfflineScorer\n"
        "OfflineScorer().score(['hello'])\n"
        "print(sorted(m for m in ('torch', 'transformers', 'detoxify') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[2],  # the repo root, so `moderator` imports
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )

    assert result.stdout.strip() == "[]"
