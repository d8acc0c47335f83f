"""Issue 3's targets on HateCheck (en) and Multilingual HateCheck (es), offline stack.

Needs the shared data sets: MODERATOR_SHARED_DATA, else the first `shared/data` folder beside
the checkout or above it (CI lays `shared/` beside its clone). Where none is found the tests skip
with a reason `.ci/run` does not accept (tests/expected_skips.txt). The committed fixtures in
tests/core cover the same behaviour without it. Recall counts review or hold; "held" counts hold
alone.
"""

from __future__ import annotations

import csv
import os
from collections import defaultdict
from pathlib import Path

import pytest

from moderator.core.models import Comment
from moderator.core.policy import load_policy
from moderator.core.scoring import ScoringService

ROOT = Path(__file__).resolve().parents[2]


def shared_data() -> Path:
    """MODERATOR_SHARED_DATA, else the nearest `shared/data` beside the checkout or above it."""
    if os.environ.get("MODERATOR_SHARED_DATA"):
        return Path(os.environ["MODERATOR_SHARED_DATA"])
    found = (p / "shared" / "data" for p in ROOT.parents)
    return next((p for p in found if p.is_dir()), ROOT.parent / "shared" / "data")


SHARED = shared_data()
SETS = {
    "en": (SHARED / "hatecheck/test_suite_cases.csv", "test_case"),
    "es": (SHARED / "mhc-spanish/hatecheck_cases_final_spanish.csv", "test_case"),
}
RECALL = {"slur_h": 0.95, "threat_dir_h": 0.80, "threat_norm_h": 0.80}
HELD_AT_MOST = {
    "counter_quote_nh": 0.10,
    "counter_ref_nh": 0.10,
    "profanity_nh": 0.10,
    "slur_reclaimed_nh": 0.10,
    "slur_homonym_nh": 0.10,
}

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not SHARED.is_dir(), reason=f"no shared data at {SHARED} (set MODERATOR_SHARED_DATA)"
    ),
]


@pytest.fixture(scope="module")
def service() -> ScoringService:
    from moderator.adapters.scoring.offline_scorer import OfflineScorer
    from moderator.core.lexicon import load_lexicon
    from moderator.settings import PROJECT_ROOT

    lexicon = load_lexicon(
        [PROJECT_ROOT / "config/lexicons/en.toml", PROJECT_ROOT / "config/lexicons/es.toml"]
    )
    return ScoringService(
        OfflineScorer(), lexicon, load_policy(PROJECT_ROOT / "config/policy.toml"), spans=False
    )


@pytest.mark.parametrize("language", sorted(SETS))
def test_hatecheck_targets(service: ScoringService, language: str):
    path, column = SETS[language]
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    records = service.score([Comment(str(i), r[column]) for i, r in enumerate(rows)])
    actions: dict[str, list[str]] = defaultdict(list)
    for row, record in zip(rows, records, strict=True):
        actions[row["functionality"]].append(str(record.action))
    measured = {}
    for name, floor in RECALL.items():
        got = actions[name]
        measured[name] = sum(a != "approve" for a in got) / len(got)
        assert measured[name] >= floor, (language, name, measured[name])
    for name, ceiling in HELD_AT_MOST.items():
        got = actions.get(name)
        if got:  # MHC has no reclaimed or homonym functionality
            held = sum(a == "hold" for a in got) / len(got)
            assert held <= ceiling, (language, name, held)
