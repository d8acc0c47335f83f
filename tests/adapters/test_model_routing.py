"""Each language to a model that reads it (issue 12, part 2): with Detoxify available, `auto`
scores English with `original` and Spanish, Portuguese, French, Italian, Turkish and Russian
with `multilingual`, each loaded once and each through its checked ONNX int8 export; every
record names the model that scored it. Tiny stand-ins sit where the released models live."""

from __future__ import annotations

from pathlib import Path

import huggingface_hub.constants
import pytest

from moderator.adapters.scoring import detoxify_scorer
from moderator.bootstrap.scoring import build_scoring
from moderator.core.models import Comment
from moderator.errors import ConfigError
from moderator.settings import Settings, load_settings
from tests.fixtures.tiny_detoxify import (
    build_tiny_checkpoint,
    build_tiny_xlmr_checkpoint,
    install_as_released,
)

COMMENTS = [
    Comment("en", "you are a stupid idiot and nobody reads your posts", language="en"),
    Comment("es", "eres un idiota y un pendejo, nadie te lee", language="es-VE"),
    Comment("pt", "vocês são uns idiotas", language="pt"),
    Comment("fr", "quelle bande d'idiots", language="fr"),
    Comment("it", "che idioti siete tutti", language="it"),
    Comment("tr", "hepiniz aptalsınız", language="tr"),  # noqa: RUF001 (Turkish text)
    Comment("ru", "Заткнись, идиот, тебя никто не спрашивал об этом совсем."),  # noqa: RUF001
    Comment("de", "ihr seid alle Idioten", language="de"),
]
ORIGINAL = "detoxify-original-onnx-int8"
MULTILINGUAL = "detoxify-multilingual-onnx-int8"


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    root = tmp_path_factory.mktemp("released")
    return {
        "original": build_tiny_checkpoint(
            root / "original", model_type="bert-base-uncased", initializer_range=0.2, seed=4
        ),
        "multilingual": build_tiny_xlmr_checkpoint(
            root / "multilingual", model_type="xlm-roberta-base", seed=5
        ),
    }


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One export cache for the module: each tiny model is exported once."""
    return tmp_path_factory.mktemp("exports")


def _install(types: list[str], builds: dict, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hf"))
    monkeypatch.setattr(detoxify_scorer, "_loaded", {})
    for model_type in types:
        checkpoint, hf = builds[model_type]
        install_as_released(
            model_type, checkpoint, hf, torch_home=tmp_path / "torch", hf_cache=tmp_path / "hf"
        )


def _settings(cache_dir: Path, **model: object) -> Settings:
    return load_settings(
        quickstart=True,
        model={"cache_dir": str(cache_dir), "download_timeout_s": 0.5, **model},
    )


def test_auto_routes_each_language_to_a_model_that_reads_it(
    builds, cache_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _install(["original", "multilingual"], builds, tmp_path, monkeypatch)
    lines: list[str] = []

    service = build_scoring(_settings(cache_dir), log=lines.append)
    records = {r.id: r for r in service.score(COMMENTS)}

    assert service.scorer.info.name == ORIGINAL
    routed = set(service.routes.values())
    assert len(routed) == 1  # one multilingual model, loaded once, for all six languages
    assert {r.model.name for r in records.values()} == {ORIGINAL, MULTILINGUAL}
    assert records["en"].model.name == ORIGINAL
    for code in ("es", "pt", "fr", "it", "tr", "ru"):
        assert records[code].model.name == MULTILINGUAL, code
    assert records["ru"].language == "ru"  # detected: Russian is a candidate now
    assert records["de"].model.name == ORIGINAL
    assert any("unsupported-language" in reason for reason in records["de"].reasons)
    assert sum(line.startswith("Exporting") for line in lines) <= 2


def test_without_the_multilingual_model_auto_says_so_and_keeps_one_model(
    builds, cache_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _install(["original"], builds, tmp_path, monkeypatch)
    lines: list[str] = []
    settings = _settings(
        cache_dir, download_url="http://127.0.0.1:9/", hf_endpoint="http://127.0.0.1:9"
    )

    service = build_scoring(settings, log=lines.append)

    assert service.routes == {}
    warning = next(line for line in lines if "'multilingual' is unavailable" in line)
    assert "es, fr, it, pt, tr, ru are scored by detoxify-original-onnx-int8" in warning
    assert "moderator models pull multilingual" in warning
    (record,) = service.score([COMMENTS[1]])
    assert record.model.name == ORIGINAL


def test_routes_follow_the_settings(
    builds, cache_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _install(["original", "multilingual"], builds, tmp_path, monkeypatch)
    checkpoint, hf = builds["original"]
    explicit_main = _settings(cache_dir, spec=f"detoxify:{checkpoint}", hf_config=str(hf))
    assert build_scoring(explicit_main, log=print).routes == {}  # auto follows auto only
    assert build_scoring(_settings(cache_dir, multilingual_spec="none"), log=print).routes == {}
    offline = build_scoring(_settings(cache_dir, spec="offline"), log=pytest.fail)
    assert offline.routes == {}
    explicit = build_scoring(
        _settings(cache_dir, spec="offline", multilingual_spec="detoxify:multilingual"),
        log=print,
    )
    assert {s.info.name for s in explicit.routes.values()} == {MULTILINGUAL}


def test_defaults_and_validation() -> None:
    settings = load_settings(quickstart=True)
    assert settings.model.multilingual_spec == "auto" and settings.model.backend == "auto"
    assert {"tr", "ru"} <= set(settings.language.languages)
    assert set(settings.model.multilingual_languages) == {"es", "pt", "fr", "it", "tr", "ru"}
    with pytest.raises(ConfigError, match="backend"):
        load_settings(quickstart=True, model={"backend": "tensorrt"})
    with pytest.raises(ConfigError, match="download_url"):
        load_settings(quickstart=True, model={"download_url": "ftp://mirror/"})
    with pytest.raises(ConfigError, match="Unknown model"):
        load_settings(quickstart=True, model={"multilingual_spec": "gpt-9"})
