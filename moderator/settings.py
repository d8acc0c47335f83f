"""One Settings object per entry point: the packaged defaults (moderator/config/moderator.toml),
then a site's config directory (MODERATOR_CONFIG_DIR or --config DIR: its moderator.toml and .env),
then MODERATOR_* environment variables, each merged key by key (moderator/configdir.py).

Built by `load_settings()`, validated there; a problem raises ConfigError with one sentence.
Nothing here is evaluated at import time.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from moderator import configdir
from moderator.errors import ConfigError

#: The directory that holds the packaged defaults' config/ (the package itself since the defaults
#: moved into the wheel), so `PROJECT_ROOT / "config/policy.toml"` still names the default policy.
PROJECT_ROOT = Path(__file__).resolve().parent
_PLACEHOLDERS = {"changeme", "change-me", "secret", "password", "xxx", "todo", "replace-me"}
_MIN_SECRET_CHARS = 16
#: model.multilingual_spec values that are not a spec: automatic routing, or none.
MULTILINGUAL_KEYWORDS = ("auto", "none", "")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WebhookSettings(_Section):
    secret: str = ""
    tolerance_s: int = Field(300, ge=1, le=86400)
    max_body_bytes: int = Field(262144, ge=1024, le=16 * 1024 * 1024)
    max_text_chars: int = Field(20000, ge=1, le=1_000_000)
    max_backlog: int = Field(100000, ge=1)
    # Replicated Redis (issue 14): before answering 202, WAIT until this many replicas have the
    # comment, at most wait_timeout_ms; fewer → 503 (the comment stays stored, a retry is
    # recognised). 0: no WAIT (docs/reliability.md says what each choice can lose).
    wait_replicas: int = Field(0, ge=0, le=16)
    # Below the Redis client's 5 s socket timeout, which would cut a longer WAIT short.
    wait_timeout_ms: int = Field(1000, ge=1, le=4000)


class WorkerSettings(_Section):
    batch_size: int = Field(16, ge=1, le=1024)
    # One blocking read waits at most this long: below the Redis client's 5 s socket timeout,
    # which would otherwise end a longer read as "Redis unavailable" with a batch in hand.
    batch_wait_ms: int = Field(200, ge=0, le=4000)
    block_ms: int = Field(1000, ge=1, le=4000)
    claim_idle_ms: int = Field(60000, ge=10)
    max_attempts: int = Field(5, ge=1, le=100)
    # A worker or callback deliverer whose heartbeat is older than this shows as not alive in
    # /healthz and /metrics (a batch of long comments on a slow CPU can take tens of seconds).
    heartbeat_stale_s: float = Field(120.0, gt=0, le=86400)


class RedisSettings(_Section):
    # The embedded Redis only (an external Redis is configured where it runs): its memory
    # ceiling, "0" for none, else bytes or a size such as "512mb" or "2gb". It never evicts
    # (noeviction): when full, writes are refused and the webhook answers 503 until there is room.
    maxmemory: str = Field("0", pattern=r"^(?i)\d+(b|kb|mb|gb)?$")
    # How many partitions moderator's data is split into (moderator/keys.py): each site's
    # comments, queues, feed and callbacks carry their partition's hash tag, so a Redis Cluster
    # spreads sites over its primaries. Fixed when the data is first written (Redis records it
    # and every process checks it); 1 keeps every key under `{mod}`, on one node.
    partitions: int = Field(1, ge=1, le=256)


class ModelSettings(_Section):
    spec: str = "auto"
    device: str = "cpu"
    hf_config: str = ""
    download_timeout_s: float = Field(5.0, gt=0, le=120)
    threads: int = Field(0, ge=0, le=256)  # model thread pool; 0: one per core we may use
    batch_tokens: int = Field(256, ge=1, le=65536)  # padded tokens per forward pass
    # "auto": with spec "auto" and Detoxify available, comments detected (or hinted) in
    # multilingual_languages are scored by Detoxify multilingual. "" or "none": one model for
    # every language. A spec ("detoxify:multilingual", ...): that model, for any main spec.
    multilingual_spec: str = "auto"
    multilingual_languages: list[str] = ["es", "fr", "it", "pt", "tr", "ru"]
    # auto: ONNX int8 export of every detoxify: model (made once, checked against PyTorch);
    # onnx: the export even when its check failed; torch: PyTorch.
    backend: Literal["auto", "onnx", "torch"] = "auto"
    cache_dir: str = ""  # ONNX exports and checkpoint digests; "": $XDG_CACHE_HOME/moderator
    auto_type: Literal["original", "unbiased"] = "original"  # the English model of "auto"
    # Where `models pull` (and `auto`) fetch weights: a mirror's URL in a closed network.
    download_url: str = "https://github.com/unitaryai/detoxify/releases/download/"
    hf_endpoint: str = ""  # Hugging Face hub for config/tokenizer files; "": huggingface.co
    # A site model (`moderator models train --from-decisions`): its score is the `site` label,
    # beside the main model's. "": none. A relative path is read from data_dir.
    site_model: str = ""


class LanguageSettings(_Section):
    detect: bool = True
    detector: str = "py3langid"
    languages: list[str] = ["en", "es", "pt", "fr", "it", "de", "tr", "ru"]
    min_confidence: float = Field(0.7, ge=0, le=1)
    min_letters: int = Field(15, ge=0, le=1000)


class PolicySettings(_Section):
    path: str = "config/policy.toml"
    lexicons: list[str] = ["config/lexicons/en.toml", "config/lexicons/es.toml"]
    overrides: list[str] = []
    lexicon_budget_s: float = Field(0.25, gt=0, le=10)
    max_matches: int = Field(100, ge=1, le=100_000)  # kept per score record, worst first
    reload_s: float = Field(10.0, gt=0, le=3600)  # workers read the current policy version
    # Overrides the policy file's sample_rate when set (the test suite sets 0: see conftest).
    sample_rate: float | None = Field(None, ge=0, le=1)


class CallbackSettings(_Section):
    url: str = ""
    secret: str = ""
    timeout_s: float = Field(5.0, gt=0, le=120)
    backoff_base_s: float = Field(1.0, gt=0)
    backoff_max_s: float = Field(300.0, gt=0)
    max_attempts: int = Field(30, ge=1, le=1000)  # then the delivery is dead-lettered


PLATFORMS = ("generic", "wordpress", "discourse", "coral")
SIGNING_SCHEMES = ("moderator", "standard")
SITE_NAME = r"^[A-Za-z0-9._-]{1,64}$"


class SiteSettings(_Section):
    """One site (`[sites.<name>]`, or `moderator sites add`): its platform and where its decisions
    go. Empty callback fields fall back to the global `[callback]` (generic and wordpress)."""

    platform: Literal["generic", "wordpress", "discourse", "coral"] = "generic"
    callback_url: str = ""  # generic/wordpress: POST decisions here ("": callback.url)
    callback_secret: str = ""  # signs callbacks ("": callback.secret)
    webhook_secret: str = ""  # verifies what the site sends ("": webhook.secret; generic only)
    # Extra incoming secrets accepted while rotating (the old one, until the site signs anew).
    webhook_secrets_old: list[str] = []
    signing: Literal["moderator", "standard"] = "moderator"  # standard: Standard Webhooks
    api_url: str = ""  # discourse: the forum's base URL; coral: its GraphQL endpoint
    api_key: str = ""  # discourse: Api-Key; coral: the bearer token
    api_username: str = "system"  # discourse: Api-Username the actions are taken as


class UiSettings(_Section):
    session_secret: str = ""
    session_ttl_s: int = Field(43200, ge=60)
    login_max_failures_per_account: int = Field(5, ge=1)
    login_max_failures_per_address: int = Field(20, ge=1)
    login_window_s: int = Field(900, ge=1)
    # Past the allowance each attempt waits this long, doubling, up to login_max_delay_s.
    login_delay_s: float = Field(1.0, gt=0, le=3600)
    login_max_delay_s: float = Field(900.0, gt=0, le=86400)


class ReviewSettings(_Section):
    lease_s: float = Field(120.0, gt=0, le=3600)
    undo_window_s: float = Field(10.0, gt=0, le=3600)
    page_size: int = Field(50, ge=1, le=500)
    recent_max: int = Field(500, ge=1, le=100000)
    scan_max: int = Field(2000, ge=10, le=1_000_000)
    bulk_max: int = Field(500, ge=1, le=10000)
    poll_s: float = Field(5.0, gt=0, le=600)
    max_claims: int = Field(100, ge=1, le=100_000)  # live claims one caller may hold
    # Share of approve/reject decisions asked of a second reviewer, blind (issue 13 section 4).
    second_opinion_rate: float = Field(0.0, ge=0, le=1)


class WebSettings(_Section):
    """The HTTP side: body limits, the render pool, proxies, exposure (docs, metrics, HSTS)."""

    max_body_bytes: int = Field(1_048_576, ge=1024, le=64 * 1024 * 1024)  # webhook: its own
    cpu_threads: int = Field(2, ge=1, le=64)  # page rendering off the event loop
    trusted_proxies: list[str] = ["127.0.0.1", "::1"]  # addresses or networks; "*" trusts all
    api_docs: Literal["auto", "on", "off"] = "auto"  # auto: on for a loopback bind only
    metrics_token: str = ""  # bearer token for /metrics; empty: loopback scrapers only
    hsts_max_age_s: int = Field(31_536_000, ge=0)  # sent on https answers; 0: no HSTS


class RetentionSettings(_Section):
    """How long decided comments stay in Redis before the archiver moves them (issue 13)."""

    hot_days: float = Field(14.0, gt=0, le=3650)
    every_s: float = Field(86400.0, ge=60)  # the service archives this often
    enabled: bool = True  # false: only `moderator archive` archives
    batch_size: int = Field(1000, ge=1, le=100_000)  # comments per Parquet file
    lease_s: float = Field(600.0, ge=10, le=86400)  # one archiver at a time


class ArchiveSettings(_Section):
    url: str = ""  # a directory or an fsspec URL ("s3://bucket/moderator"); "": data_dir/archive


class PerspectiveSettings(_Section):
    """The Perspective-compatible endpoints (/v1alpha1, moderator/web/perspective_api.py)."""

    # worker: the model scores, in a worker, over the sync path; lexicon: the API process
    # answers from the lexicon and policy alone (no worker, no model; SEVERE_TOXICITY refused).
    scoring: Literal["worker", "lexicon"] = "worker"
    timeout_s: float = Field(2.0, gt=0, le=4)  # wait for a worker's answer; then 503
    rate_per_minute: int = Field(600, ge=1, le=1_000_000)  # per token; then 429
    store_ttl_s: int = Field(604800, ge=60)  # doNotStore:false comments, for suggestscore
    site: str = Field("perspective", pattern=r"^[A-Za-z0-9._-]{1,64}$")  # their site in moderator


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MODERATOR_", env_nested_delimiter="__", extra="forbid"
    )

    redis_url: str = ""
    data_dir: Path = Path("var")
    config_dir: Path | None = None  # a site's directory over the packaged defaults
    webhook: WebhookSettings = WebhookSettings()
    worker: WorkerSettings = WorkerSettings()
    model: ModelSettings = ModelSettings()
    language: LanguageSettings = LanguageSettings()
    policy: PolicySettings = PolicySettings()
    callback: CallbackSettings = CallbackSettings()
    ui: UiSettings = UiSettings()
    review: ReviewSettings = ReviewSettings()
    redis: RedisSettings = RedisSettings()
    web: WebSettings = WebSettings()
    sites: dict[str, SiteSettings] = {}

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str) -> str:
        if value:  # refused now, with the accepted forms, rather than at the first connection
            from moderator.adapters.redis.client import parse_redis_url

            parse_redis_url(value)
        return value

    retention: RetentionSettings = RetentionSettings()
    archive: ArchiveSettings = ArchiveSettings()
    perspective: PerspectiveSettings = PerspectiveSettings()

    @field_validator("config_dir", mode="before")
    @classmethod
    def _site_dir(cls, value: Any) -> Path | None:
        return configdir.site_dir(value)  # the directory the file sources were read from

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        site = configdir.site_dir(getattr(init_settings, "init_kwargs", {}).get("config_dir"))
        files = configdir.file_sources(
            settings_cls, site, lambda env: _FlatSecrets(settings_cls, env)
        )
        return init_settings, _FlatSecrets(settings_cls), env_settings, *files

    def path(self, value: str) -> Path:
        """Resolve a configured file ("config/policy.toml"): in the site's config directory,
        then the working directory, then the packaged defaults (configdir.resolve)."""
        return configdir.resolve(value, self.config_dir)


class _FlatSecrets(PydanticBaseSettingsSource):
    """Accept the documented flat names MODERATOR_WEBHOOK_SECRET, MODERATOR_SESSION_SECRET and
    MODERATOR_CALLBACK_URL as well as the nested MODERATOR_WEBHOOK__SECRET forms, from the
    environment or (`environ`) a site's .env file."""

    _FLAT: ClassVar[dict[str, tuple[str, str]]] = {
        "MODERATOR_WEBHOOK_SECRET": ("webhook", "secret"),
        "MODERATOR_SESSION_SECRET": ("ui", "session_secret"),
        "MODERATOR_CALLBACK_URL": ("callback", "url"),
        "MODERATOR_CALLBACK_SECRET": ("callback", "secret"),
        "MODERATOR_METRICS_TOKEN": ("web", "metrics_token"),
    }

    def __init__(
        self, settings_cls: type[BaseSettings], environ: Mapping[str, str | None] | None = None
    ) -> None:
        super().__init__(settings_cls)
        self._environ = os.environ if environ is None else environ

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        found: dict[str, dict[str, str]] = {}
        for env, (section, key) in self._FLAT.items():
            value = self._environ.get(env)
            if value is not None:
                found.setdefault(section, {})[key] = value
        return found


def load_settings(*, quickstart: bool = False, **overrides: Any) -> Settings:
    """Build and validate Settings. `quickstart` (moderator run) allows generated secrets."""
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(_first_problem(exc)) from None
    validate(settings, quickstart=quickstart)
    return settings


def validate(settings: Settings, *, quickstart: bool) -> None:
    """Checks that span fields. Raise ConfigError with the first problem found."""
    from moderator.core.spec import check_model_spec

    check_model_spec(settings.model.spec)
    if settings.model.multilingual_spec not in MULTILINGUAL_KEYWORDS:
        check_model_spec(settings.model.multilingual_spec)
    for name in ("download_url", "hf_endpoint"):
        url = getattr(settings.model, name)
        if url and not url.startswith(("http://", "https://")):
            raise ConfigError(f"model.{name} must be an http(s) URL, got {url!r}.")
    if not quickstart:
        _check_secret("MODERATOR_WEBHOOK_SECRET", settings.webhook.secret)
        _check_secret("MODERATOR_SESSION_SECRET", settings.ui.session_secret)
    for name, value in (
        ("MODERATOR_WEBHOOK_SECRET", settings.webhook.secret),
        ("MODERATOR_SESSION_SECRET", settings.ui.session_secret),
    ):
        if value:
            _check_secret(name, value)
    _check_callback(settings, quickstart=quickstart)
    if settings.callback.backoff_base_s > settings.callback.backoff_max_s:
        raise ConfigError("callback.backoff_base_s must not exceed callback.backoff_max_s.")
    _check_proxies(settings.web.trusted_proxies)
    for name, site in settings.sites.items():
        check_site(name, site, settings)
    if settings.web.metrics_token:
        _check_secret("MODERATOR_METRICS_TOKEN", settings.web.metrics_token)


def check_site(name: str, site: SiteSettings, settings: Settings) -> None:
    """ConfigError unless `site` can work: a valid name, its own secrets long enough (and not
    the global webhook secret for callbacks), URLs that parse, API credentials for the
    platforms that act through an API, a Standard Webhooks secret in its `whsec_` form."""
    import re

    where = f"sites.{name}"
    if not re.fullmatch(SITE_NAME, name):
        raise ConfigError(f"{where}: a site name is 1-64 letters, digits, '.', '_' or '-'.")
    _check_site_urls(where, site)
    # The signing scheme is that of our own format (generic, wordpress); Discourse and Coral
    # sign in their own ways with plain secrets.
    signing = site.signing if site.platform in ("generic", "wordpress") else "moderator"
    for field in ("callback_secret", "webhook_secret"):
        if getattr(site, field):
            _check_site_secret(f"{where}.{field}", getattr(site, field), signing)
    for i, old in enumerate(site.webhook_secrets_old):
        _check_site_secret(f"{where}.webhook_secrets_old[{i}]", old, signing)
    if site.callback_secret and site.callback_secret in (
        site.webhook_secret,
        settings.webhook.secret,
    ):
        raise ConfigError(f"{where}.callback_secret must differ from the webhook secrets.")
    if signing == "standard" and not site.callback_secret:
        raise ConfigError(
            f'{where}: signing = "standard" needs the site\'s own callback_secret (whsec_...).'
        )
    if site.platform in ("discourse", "coral"):
        for field in ("webhook_secret", "api_url", "api_key"):
            if not getattr(site, field):
                raise ConfigError(f"{where}: a {site.platform} site needs {field}.")


def _check_site_urls(where: str, site: SiteSettings) -> None:
    for field in ("callback_url", "api_url"):
        url = getattr(site, field)
        if url and not url.startswith(("http://", "https://")):
            raise ConfigError(f"{where}.{field} must be an http(s) URL.")
        if url:
            _check_url(f"{where}.{field}", url)


def _check_site_secret(name: str, value: str, signing: str) -> None:
    if signing == "standard":
        if not value.startswith("whsec_"):
            raise ConfigError(
                f"{name}: Standard Webhooks secrets look like whsec_<base64 key>; make one "
                'with `python -c \'import base64,os; print("whsec_" + '
                "base64.b64encode(os.urandom(32)).decode())'`."
            )
        import base64
        import binascii

        try:
            key = base64.b64decode(value.removeprefix("whsec_"), validate=True)
        except binascii.Error:
            raise ConfigError(f"{name}: whsec_ must be followed by base64.") from None
        if len(key) < _MIN_SECRET_CHARS:
            raise ConfigError(f"{name}: the key must be at least {_MIN_SECRET_CHARS} bytes.")
        return
    _check_secret(name, value)


def _check_proxies(entries: list[str]) -> None:
    """Each trusted proxy is an IP address, a network (10.0.0.0/8) or "*"."""
    import ipaddress

    for entry in entries:
        if entry == "*":
            continue
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise ConfigError(
                f"web.trusted_proxies: {entry!r} is not an IP address or network "
                "(e.g. 10.0.0.0/8), nor '*'."
            ) from None


def _check_callback(settings: Settings, *, quickstart: bool) -> None:
    """Callbacks are signed with their own secret, so one leaked secret cannot forge both
    directions: required with a callback URL outside the quickstart (which generates one)."""
    from moderator.core.urls import redact_url

    url, secret = settings.callback.url, settings.callback.secret
    if url and not url.startswith(("http://", "https://")):
        raise ConfigError(
            f"MODERATOR_CALLBACK_URL must be an http(s) URL, got {redact_url(url)!r}."
        )
    if url:
        _check_url("MODERATOR_CALLBACK_URL", url)
    if url and not quickstart:
        _check_secret("MODERATOR_CALLBACK_SECRET", secret)
    if secret:
        _check_secret("MODERATOR_CALLBACK_SECRET", secret)
        if secret == settings.webhook.secret:
            raise ConfigError(
                "MODERATOR_CALLBACK_SECRET must differ from MODERATOR_WEBHOOK_SECRET: one leaked "
                "secret must not let anyone forge both comments and decisions."
            )


def _check_url(name: str, url: str) -> None:
    import httpx

    from moderator.core.urls import redact_url

    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise ConfigError(f"{name} is not a valid URL ({exc}): {redact_url(url)!r}.") from None
    if not parsed.host:
        raise ConfigError(f"{name} has no host: {redact_url(url)!r}.")
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise ConfigError(f"{name} has an impossible port {parsed.port}: {redact_url(url)!r}.")


def _check_secret(name: str, value: str) -> None:
    if not value:
        raise ConfigError(
            f"{name} is not set: outside the quickstart (`moderator run`) it is required; "
            "generate one with `python -c 'import secrets; print(secrets.token_hex(32))'`."
        )
    if value.lower() in _PLACEHOLDERS or len(value) < _MIN_SECRET_CHARS:
        raise ConfigError(
            f"{name} looks like a placeholder or is shorter than {_MIN_SECRET_CHARS} characters; "
            "use a long random value."
        )


def _first_problem(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"])
    env = "MODERATOR_" + "__".join(str(p) for p in err["loc"]).upper()
    if err["type"] == "extra_forbidden":
        return f"Unknown setting '{where}' (from moderator.toml, .env or {env})."
    return f"Setting '{where}' ({env}): {err['msg']}, got {err.get('input')!r}."
