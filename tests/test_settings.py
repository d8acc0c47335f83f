"""Configuration: defaults from config/, MODERATOR_* overrides, one clear sentence per problem."""

from __future__ import annotations

import pytest

from moderator.errors import ConfigError
from moderator.settings import load_settings

GOOD = "a-long-random-secret-0123456789"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("MODERATOR_"):
            monkeypatch.delenv(name)


def test_defaults_come_from_the_toml_file():
    s = load_settings(quickstart=True)
    assert s.webhook.max_text_chars == 20000
    assert s.model.spec == "auto"
    assert s.worker.batch_size == 16


def test_environment_overrides(monkeypatch):
    monkeypatch.setenv("MODERATOR_WORKER__BATCH_SIZE", "32")
    monkeypatch.setenv("MODERATOR_WEBHOOK_SECRET", GOOD)
    monkeypatch.setenv("MODERATOR_SESSION_SECRET", GOOD + "x")
    monkeypatch.setenv("MODERATOR_REDIS_URL", "redis://example:6379/2")
    s = load_settings()
    assert s.worker.batch_size == 32
    assert s.webhook.secret == GOOD
    assert s.redis_url == "redis://example:6379/2"


@pytest.mark.parametrize(
    ("env", "sentence"),
    [
        ({"MODERATOR_MODEL__SPEC": "detoxify:huge"}, "Unknown model 'detoxify:huge'"),
        ({"MODERATOR_WORKER__BATCH_SIZE": "0"}, "worker.batch_size"),
        ({"MODERATOR_WEBHOOK__TOLERANCE_S": "-5"}, "webhook.tolerance_s"),
        ({"MODERATOR_CALLBACK_URL": "ftp://x"}, "must be an http(s) URL"),
        ({"MODERATOR_WEB__TRUSTED_PROXIES": '["proxy.local"]'}, "not an IP address or network"),
        ({"MODERATOR_METRICS_TOKEN": "short"}, "MODERATOR_METRICS_TOKEN looks like a placeholder"),
        ({"MODERATOR_WEB__API_DOCS": "maybe"}, "web.api_docs"),
        ({"MODERATOR_REVIEW__MAX_CLAIMS": "0"}, "review.max_claims"),
        # a blocking read past the client's 5 s socket timeout would read as "Redis down"
        ({"MODERATOR_WORKER__BLOCK_MS": "10000"}, "worker.block_ms"),
        ({"MODERATOR_WORKER__BATCH_WAIT_MS": "10000"}, "worker.batch_wait_ms"),
        ({"MODERATOR_WEBHOOK__WAIT_TIMEOUT_MS": "10000"}, "webhook.wait_timeout_ms"),
    ],
)
def test_invalid_values_are_one_clear_sentence(monkeypatch, env, sentence):
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(ConfigError) as info:
        load_settings(quickstart=True)
    assert sentence in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_secret_outside_quickstart():
    with pytest.raises(ConfigError, match="MODERATOR_WEBHOOK_SECRET is not set"):
        load_settings()
    load_settings(quickstart=True)  # the quickstart generates its own


def test_placeholder_secret_refused(monkeypatch):
    monkeypatch.setenv("MODERATOR_WEBHOOK_SECRET", "changeme")
    with pytest.raises(ConfigError, match="placeholder"):
        load_settings(quickstart=True)
