"""Worker test fixtures: the real scoring service with the offline model (no weights needed).
Other test packages import them by these names (`service_fixture`, `service_parts_fixture`)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from moderator.adapters.offline_scorer import OfflineScorer
from moderator.core.lexicon import load_lexicon
from moderator.core.policy import load_policy
from moderator.core.scoring import ScoringService
from moderator.settings import PROJECT_ROOT


@pytest.fixture(scope="module", name="service_parts")
def service_parts_fixture():
    lexicon = load_lexicon(
        [PROJECT_ROOT / "config/lexicons/en.toml", PROJECT_ROOT / "config/lexicons/es.toml"]
    )
    # sample_rate=0: no control sample (a random 1 % in the sample queue)
    return (
        OfflineScorer(),
        lexicon,
        replace(load_policy(PROJECT_ROOT / "config/policy.toml"), sample_rate=0),
    )


@pytest.fixture(name="service")
def service_fixture(service_parts) -> ScoringService:
    return ScoringService(*service_parts)
