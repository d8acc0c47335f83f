"""Composition of the scoring side: model, lexicons and policy (imports model libraries)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from moderator.core.policy import load_policy
from moderator.core.scoring import ScoringService
from moderator.settings import Settings


def build_scoring(settings: Settings, log: Callable[[str], None] = print) -> ScoringService:
    """Load the model (once per process), the lexicons and the policy. ConfigError or
    ModelUnavailableError stop start-up with one sentence."""
    from moderator.adapters.models import resolve_scorer
    from moderator.core.lexicon import load_lexicon

    policy = load_policy(settings.path(settings.policy.path))
    lexicon = load_lexicon(
        [settings.path(p) for p in settings.policy.lexicons],
        overrides=[settings.path(p) for p in settings.policy.overrides],
    )
    hf_config = Path(settings.model.hf_config) if settings.model.hf_config else None
    scorer = resolve_scorer(
        settings.model.spec,
        device=settings.model.device,
        hf_config=hf_config,
        download_timeout_s=settings.model.download_timeout_s,
        log=log,
    )
    return ScoringService(scorer, lexicon, policy)
