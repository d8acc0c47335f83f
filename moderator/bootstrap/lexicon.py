"""Scoring by the lexicon and the policy alone (no model, no torch): what the web process may
build, for the Perspective endpoints' `perspective.scoring = "lexicon"`."""

from __future__ import annotations

from moderator.adapters.language import build_detector
from moderator.adapters.scoring.no_model import NoModel
from moderator.core.policy import load_policy
from moderator.core.scoring import ScoringService
from moderator.settings import Settings


def build_lexicon_scoring(settings: Settings) -> ScoringService:
    """Load the lexicons, the policy and the language detector (about a second: call it off the
    event loop). ConfigError for a bad policy or lexicon file."""
    from moderator.core.lexicon import load_lexicon

    policy = load_policy(settings.path(settings.policy.path))
    lexicon = load_lexicon(
        [settings.path(p) for p in settings.policy.lexicons],
        overrides=[settings.path(p) for p in settings.policy.overrides],
    )
    config = settings.language
    detector = (
        build_detector(
            config.detector,
            config.languages,
            min_confidence=config.min_confidence,
            min_letters=config.min_letters,
        )
        if config.detect
        else None
    )
    return ScoringService(
        NoModel(),
        lexicon,
        policy,
        detector=detector,
        model_languages=(),
        spans=False,
        lexicon_budget_s=settings.policy.lexicon_budget_s,
        max_matches=settings.policy.max_matches,
    )
