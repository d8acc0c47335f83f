"""Composition of the scoring side: models, language detector, lexicons and policy (imports
model libraries)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from moderator.core.language import DETOXIFY_MULTILINGUAL
from moderator.core.models import ModelInfo
from moderator.core.policy import load_policy
from moderator.core.ports import LanguageDetector, Scorer
from moderator.core.scoring import ScoringService
from moderator.settings import Settings


def build_scoring(settings: Settings, log: Callable[[str], None] = print) -> ScoringService:
    """Load the model(s) (once per process), the language detector, the lexicons and the
    policy. ConfigError or ModelUnavailableError stop start-up with one sentence; an explicit
    `model.multilingual_spec` that cannot load stops it too (it never falls back)."""
    from moderator.core.lexicon import load_lexicon

    policy = load_policy(settings.path(settings.policy.path))
    lexicon = load_lexicon(
        [settings.path(p) for p in settings.policy.lexicons],
        overrides=[settings.path(p) for p in settings.policy.overrides],
    )
    scorer = _scorer(settings, settings.model.spec, log)
    routes: dict[str, Scorer] = {}
    if settings.model.multilingual_spec:
        multilingual = _scorer(settings, settings.model.multilingual_spec, log)
        routes = dict.fromkeys(settings.model.multilingual_languages, multilingual)
    return ScoringService(
        scorer,
        lexicon,
        policy,
        detector=build_language_detector(settings),
        routes=routes,
        model_languages=model_languages(scorer.info),
        lexicon_budget_s=settings.policy.lexicon_budget_s,
        max_matches=settings.policy.max_matches,
    )


def build_language_detector(settings: Settings) -> LanguageDetector | None:
    """The configured detector, or None when `language.detect` is off. Raises ConfigError."""
    from moderator.adapters.language import build_detector

    config = settings.language
    if not config.detect:
        return None
    return build_detector(
        config.detector,
        config.languages,
        min_confidence=config.min_confidence,
        min_letters=config.min_letters,
    )


def model_languages(info: ModelInfo) -> frozenset[str]:
    """What a model was trained on: Detoxify multilingual's seven languages, else English
    (Detoxify original/unbiased, the offline model, a local checkpoint)."""
    if "multilingual" in info.name:
        return DETOXIFY_MULTILINGUAL
    return frozenset({"en"})


def _scorer(settings: Settings, spec: str, log: Callable[[str], None]) -> Scorer:
    from moderator.adapters.models import resolve_scorer

    hf_config = Path(settings.model.hf_config) if settings.model.hf_config else None
    return resolve_scorer(
        spec,
        device=settings.model.device,
        hf_config=hf_config,
        download_timeout_s=settings.model.download_timeout_s,
        log=log,
        threads=settings.model.threads,
        batch_tokens=settings.model.batch_tokens,
    )
