"""Composition of the scoring side: models, language detector, lexicons and policy (imports
model libraries)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from moderator.core.language import DETOXIFY_MULTILINGUAL
from moderator.core.models import ModelInfo
from moderator.core.policy import load_policy
from moderator.core.ports import LanguageDetector, Scorer, SiteScorer
from moderator.core.scoring import ScoringService
from moderator.errors import ModelUnavailableError
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
    routes = build_routes(settings, scorer, log)
    return ScoringService(
        scorer,
        lexicon,
        policy,
        detector=build_language_detector(settings),
        routes=routes,
        model_languages=model_languages(scorer.info),
        lexicon_budget_s=settings.policy.lexicon_budget_s,
        max_matches=settings.policy.max_matches,
        site=build_site_scorer(settings, scorer, log),
    )


def build_site_scorer(
    settings: Settings, main: Scorer, log: Callable[[str], None] = print
) -> SiteScorer | None:
    """The site model `model.site_model` names (relative: in data_dir), or None when it is
    empty. A file that cannot load stops start-up with one sentence (ModelUnavailableError):
    a configured site model never goes missing silently."""
    from moderator.adapters.scoring.ngram_model import BilingualScorer
    from moderator.adapters.scoring.site_model import SiteScorer as SiteModel

    configured = settings.model.site_model
    if not configured:
        return None
    path = Path(configured)
    if not path.is_absolute():
        path = settings.data_dir / path
    if not path.is_file():
        raise ModelUnavailableError(
            f"model.site_model {configured} is not a file ({path}); train one with `moderator "
            'models train --from-decisions` or set model.site_model = ""'
        )
    # The bundled model the site model leans on: the main scorer itself when it is that model.
    base = main if isinstance(main, BilingualScorer) else None
    site = SiteModel(path, base=base)
    log(f"Site model {site.info} from {path} (prior: {site.base.info})")
    return site


def build_routes(
    settings: Settings, main: Scorer, log: Callable[[str], None] = print
) -> dict[str, Scorer]:
    """Language → the scorer for it, beside `main`.

    `model.multilingual_spec` "auto" routes `model.multilingual_languages` to Detoxify
    `multilingual` when the main spec is "auto" and a Detoxify model scores (not the offline
    model: no Detoxify to route to); when the multilingual model cannot be had, a warning says
    so and those languages stay with `main`. "" or "none": no routes. Any other spec is loaded
    as given and never falls back.
    """
    spec = settings.model.multilingual_spec
    if spec in ("", "none"):
        return {}
    if spec == "auto":
        if settings.model.spec != "auto" or not main.info.name.startswith("detoxify-"):
            return {}
        try:
            multilingual = _scorer(settings, "detoxify:multilingual", log)
        except ModelUnavailableError as exc:
            log(
                f"WARNING: Detoxify 'multilingual' is unavailable ({exc}); comments in "
                f"{', '.join(settings.model.multilingual_languages)} are scored by {main.info}. "
                "Fetch it with `moderator models pull multilingual`."
            )
            return {}
    else:
        multilingual = _scorer(settings, spec, log)
    return dict.fromkeys(settings.model.multilingual_languages, multilingual)


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
    (Detoxify original/unbiased, alt-profanity-check, a local checkpoint); the bundled offline
    model reads English and Spanish."""
    if "multilingual" in info.name:
        return DETOXIFY_MULTILINGUAL
    if info.name == "offline-bilingual":
        return frozenset({"en", "es"})
    return frozenset({"en"})


def _scorer(settings: Settings, spec: str, log: Callable[[str], None]) -> Scorer:
    from moderator.adapters.scoring.detoxify_hub import Fetching
    from moderator.adapters.scoring.models import resolve_scorer

    config = settings.model
    return resolve_scorer(
        spec,
        device=config.device,
        hf_config=Path(config.hf_config) if config.hf_config else None,
        log=log,
        auto_type=config.auto_type,
        fetching=Fetching(
            download_url=config.download_url,
            hf_endpoint=config.hf_endpoint,
            timeout_s=config.download_timeout_s,
        ),
        backend=config.backend,
        cache_dir=Path(config.cache_dir) if config.cache_dir else None,
        threads=config.threads,
        batch_tokens=config.batch_tokens,
    )
