"""The real scoring service the suites share: the offline model (no weights needed), the
default lexicons and the default policy.

The control sample is off (`sample_rate=0`): at the default 0.01 a random 1 % of the comments
the policy approves also wait in the "sample" queue (state `queued`), so a test that expects
`approved` would fail one run in a hundred. Tests of the sample pass their own rate. The
processes and settings the suite builds get the same through `MODERATOR_POLICY__SAMPLE_RATE`
(tests/conftest.py)."""

from __future__ import annotations

from dataclasses import replace

from moderator.core.lexicon import load_lexicon
from moderator.core.policy import Policy, load_policy
from moderator.core.ports import Lexicon, Scorer
from moderator.core.scoring import ScoringService
from moderator.settings import PROJECT_ROOT


def offline_parts(sample_rate: float = 0) -> tuple[Scorer, Lexicon, Policy]:
    from moderator.adapters.scoring.offline_scorer import OfflineScorer

    lexicon = load_lexicon(
        [PROJECT_ROOT / "config/lexicons/en.toml", PROJECT_ROOT / "config/lexicons/es.toml"]
    )
    policy = replace(load_policy(PROJECT_ROOT / "config/policy.toml"), sample_rate=sample_rate)
    return OfflineScorer(), lexicon, policy


def offline_service(sample_rate: float = 0) -> ScoringService:
    scorer, lexicon, policy = offline_parts(sample_rate)
    return ScoringService(scorer, lexicon, policy)
