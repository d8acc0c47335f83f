"""Fixtures for the platform integrations: the offline scoring service (as tests/e2e uses) and
a live moderator (real uvicorn, real worker thread, real Redis) with sites."""

from __future__ import annotations

import pytest

from moderator.core.policy import load_policy
from moderator.core.scoring import ScoringService
from moderator.settings import PROJECT_ROOT


@pytest.fixture(scope="module")
def offline_service() -> ScoringService:
    from moderator.adapters.offline_scorer import OfflineScorer
    from moderator.core.lexicon import load_lexicon

    lexicon = load_lexicon(
        [PROJECT_ROOT / "config/lexicons/en.toml", PROJECT_ROOT / "config/lexicons/es.toml"]
    )
    return ScoringService(
        OfflineScorer(), lexicon, load_policy(PROJECT_ROOT / "config/policy.toml")
    )
