"""The composition root: build adapters and services from one Settings object.

Entry points (web, worker, CLI) call these functions; nothing else constructs adapters. Model
libraries are reachable only through `moderator.bootstrap.scoring`, which the web package may not
import (an import-linter contract), so the web process never loads torch.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from dataclasses import dataclass

import httpx
import redis
import redis.asyncio as aioredis

from moderator import keys
from moderator.adapters.archive.archiver import Archiver
from moderator.adapters.archive.audit import ArchivedAudit
from moderator.adapters.archive.parquet import ParquetArchive
from moderator.adapters.archive.schedule import ArchiveSchedule
from moderator.adapters.callbacks import OutboxDeliverer
from moderator.adapters.passwords import Argon2Passwords
from moderator.adapters.redis import layout as redis_layout
from moderator.adapters.redis.analyzed import RedisAnalyzed
from moderator.adapters.redis.audit import RedisAudit
from moderator.adapters.redis.auth import RedisAuthStore
from moderator.adapters.redis.claims import RedisClaims
from moderator.adapters.redis.client import connect, connect_async, store_error
from moderator.adapters.redis.context import RedisContext
from moderator.adapters.redis.dead_letters import RedisIngestDeadLetters
from moderator.adapters.redis.embedded import EmbeddedRedis
from moderator.adapters.redis.ingest import RedisIngest, RedisIngestConsumer
from moderator.adapters.redis.logins import LoginLimits
from moderator.adapters.redis.outbox import RedisOutbox
from moderator.adapters.redis.policies import PolicyReloader, RedisPolicies, sync_from_file
from moderator.adapters.redis.queue import RedisQueues
from moderator.adapters.redis.review import RedisReviewStore
from moderator.adapters.redis.second import RedisSecondOpinions
from moderator.adapters.redis.sites import RedisSites
from moderator.adapters.redis.sync import RedisSyncScoring
from moderator.core.models import ModelInfo
from moderator.core.scoring import ScoringService
from moderator.core.urls import redact_url
from moderator.errors import ConfigError
from moderator.settings import Settings

log = logging.getLogger("moderator.layout")


@dataclass
class WebServices:
    settings: Settings
    redis: aioredis.Redis
    ingest: RedisIngest
    review: RedisReviewStore
    auth: RedisAuthStore
    queues: RedisQueues
    claims: RedisClaims
    context: RedisContext
    audit: ArchivedAudit  # Redis and the archive together (adapters/archive/audit.py)
    outbox: RedisOutbox
    ingest_dead: RedisIngestDeadLetters
    sync_scoring: RedisSyncScoring
    analyzed: RedisAnalyzed
    webhook_secret: str
    session_secret: str
    sites: RedisSites
    deliverer: OutboxDeliverer | None = None
    archive_schedule: ArchiveSchedule | None = None  # the daily archive run (retention)
    http: httpx.AsyncClient | None = None
    redis_url: str = ""  # for batch reads on the CPU pool (the Insights page)
    second: RedisSecondOpinions | None = None  # second opinions (issue 13 section 4)

    def outbound(self) -> httpx.AsyncClient:
        """The HTTP client for requests to platforms (the deliverer's, or one made now)."""
        if self.http is None:
            self.http = httpx.AsyncClient(follow_redirects=False)
        return self.http

    async def aclose(self) -> None:
        self.auth.passwords.close()
        if self.http is not None:
            await self.http.aclose()
        await self.redis.aclose()


def open_store(
    settings: Settings, *, hold_lock: bool = False, check_layout: bool = True
) -> tuple[str, EmbeddedRedis | None]:
    """MODERATOR_REDIS_URL when set; otherwise the embedded Redis of `data_dir` (started, or
    attached to when another moderator process already runs it). Then the key layout is
    checked (`check_layout`): data of the first layout (`mod:…`) is moved at once in an
    embedded Redis (one host, its own data directory); an external one stops the command with
    a sentence that says to run `moderator migrate` with every moderator process stopped."""
    if settings.redis_url:
        url, embedded = settings.redis_url, None
    else:
        embedded = EmbeddedRedis(settings.data_dir, maxmemory=settings.redis.maxmemory).start(
            hold_lock=hold_lock
        )
        url = embedded.url
    keys.configure(settings.redis.partitions)
    if check_layout:
        try:
            ensure_layout(url, migrate_now=embedded is not None)
        except BaseException:
            if embedded is not None:
                embedded.stop()
            raise
    return url, embedded


def ensure_layout(url: str, *, migrate_now: bool) -> None:
    """The layout check of open_store: the first layout's data moved (or refused), then the
    partitions this process uses (keys.partitions) checked against those Redis records."""
    client = connect(url, decode_responses=False)
    try:
        redis_layout.check_partitions(client, keys.partitions())
        if not redis_layout.has_legacy_data(client):
            return
        if not migrate_now:
            raise ConfigError(
                f"The Redis at {redact_url(url)} holds moderator data in the first key layout "
                "(keys mod:…, without the {mod} hash tag). Stop every moderator process, run "
                "`moderator migrate` once, then start them again (docs/DESIGN.md, "
                '"Redis topologies").'
            )
        done = redis_layout.migrate(client)
        if done.conflicts:
            raise ConfigError(
                f"Moving the first key layout left {len(done.conflicts)} keys in place because "
                f"their new names hold other data (first: {done.conflicts[0]}); see "
                "`moderator migrate --dry-run`."
            )
    except redis.RedisError as exc:
        log.info("Key layout not checked (Redis not answering yet: %s).", exc)
    finally:
        client.close()


def build_archive(settings: Settings) -> ParquetArchive:
    """The archive at archive.url, or the directory data_dir/archive by default."""
    return ParquetArchive(settings.archive.url or str(settings.data_dir / "archive"))


def build_archive_schedule(settings: Settings, client: aioredis.Redis) -> ArchiveSchedule:
    retention = settings.retention
    archiver = Archiver(
        client,
        build_archive(settings),
        hot_days=retention.hot_days,
        batch_size=retention.batch_size,
        lease_ms=int(retention.lease_s * 1000),
    )
    return ArchiveSchedule(client, archiver, every_s=retention.every_s)


def build_web(
    settings: Settings,
    url: str,
    *,
    deliver: bool = True,
    passwords: Argon2Passwords | None = None,
) -> WebServices:
    keys.configure(settings.redis.partitions)
    client = connect_async(url)
    callbacks = has_targets(settings, url)
    review, ui = settings.review, settings.ui
    limits = LoginLimits(
        ui.login_max_failures_per_account,
        ui.login_max_failures_per_address,
        ui.login_window_s,
        ui.login_delay_s,
        ui.login_max_delay_s,
    )
    services = WebServices(
        settings=settings,
        redis=client,
        ingest=RedisIngest(
            client,
            max_backlog=settings.webhook.max_backlog,
            wait_replicas=settings.webhook.wait_replicas,
            wait_timeout_ms=settings.webhook.wait_timeout_ms,
        ),
        review=RedisReviewStore(client, deliver_callbacks=callbacks, recent_max=review.recent_max),
        auth=RedisAuthStore(client, limits, passwords),
        queues=RedisQueues(client, scan_max=review.scan_max, recent_max=review.recent_max),
        claims=RedisClaims(client),
        context=RedisContext(client),
        audit=ArchivedAudit(RedisAudit(client, scan_max=review.scan_max), build_archive(settings)),
        outbox=RedisOutbox(client),
        ingest_dead=RedisIngestDeadLetters(client, max_backlog=settings.webhook.max_backlog),
        sync_scoring=RedisSyncScoring(client, timeout_s=settings.perspective.timeout_s),
        analyzed=RedisAnalyzed(client),
        webhook_secret=settings.webhook.secret,
        session_secret=settings.ui.session_secret,
        sites=RedisSites(client, settings),
        redis_url=url,
        second=RedisSecondOpinions(client, review.second_opinion_rate),
    )
    if settings.retention.enabled:
        services.archive_schedule = build_archive_schedule(settings, client)
    if callbacks and deliver:
        from moderator import integrations

        services.http = httpx.AsyncClient(follow_redirects=False)
        services.deliverer = OutboxDeliverer(
            client,
            services.http,
            settings.callback,
            settings.callback.secret,
            targets=integrations.targets(services.sites, settings, client),
        )
    return services


def has_targets(settings: Settings, url: str, client: redis.Redis | None = None) -> bool:
    """Whether events go into the callback outbox: a global callback URL, or any site (from the
    settings file, or added with `moderator sites add` before this process started: the first
    site added to a moderator with neither needs a restart to start delivery). Redis
    unreachable: the settings alone answer."""
    if settings.callback.url or settings.sites:
        return True
    own = client is None
    client = client or connect(url)
    try:
        return bool(client.exists(keys.SITES))
    except redis.RedisError:
        return False
    finally:
        if own:
            client.close()


def build_consumer(
    settings: Settings, url: str, client: redis.Redis | None = None
) -> RedisIngestConsumer:
    consumer = f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"
    client = client or connect(url)
    return RedisIngestConsumer(
        client, consumer, deliver_callbacks=has_targets(settings, url, client)
    )


def worker_parts(
    settings: Settings, url: str, service: ScoringService, stop: threading.Event
) -> tuple[RedisIngestConsumer, PolicyReloader] | None:
    """What a worker needs from Redis before its loop: the consumer, the model published for
    /healthz, the policy versions. A Redis that does not answer (down, or switching primaries
    during a failover) is waited for, with a warning and a growing pause, as the loop itself
    does; None when `stop` is set while waiting."""
    keys.configure(settings.redis.partitions)
    delay = 0.5
    while True:
        try:
            consumer = build_consumer(settings, url)
            publish_model(consumer.client, service.scorer.info)
            return consumer, attach_policies(settings, consumer.client, service)
        except redis.RedisError as exc:
            if store_error(exc) is None:
                raise
            log.warning("Worker start-up waits for Redis (%s); retrying in %.1f s.", exc, delay)
            if stop.wait(delay):
                return None
            delay = min(delay * 2, 5.0)


def publish_model(client: redis.Redis, info: ModelInfo) -> None:
    """Tell /healthz and the UI which model the workers score with."""
    client.hset(
        keys.MODEL_INFO,
        mapping={"name": info.name, "version": info.version, "fallback": int(info.fallback)},
    )


def attach_policies(
    settings: Settings, client: redis.Redis, service: ScoringService
) -> PolicyReloader:
    """Policies as versions in Redis: seed them from the policy file (or apply the file when its
    version is new), give `service` the current version, and answer the reloader a worker asks
    for the current version (adapters/redis/policies.py). The `policy.sample_rate` setting
    overrides the rate of every version the worker scores with, stored ones included."""
    by = f"file:{settings.path(settings.policy.path)}"
    current = sync_from_file(RedisPolicies(client), service.policy, by)
    reloader = PolicyReloader(
        RedisPolicies(client),
        current,
        settings.policy.reload_s,
        sample_rate=settings.policy.sample_rate,
    )
    service.policy = reloader.policy()
    return reloader


def quickstart_secrets(settings: Settings) -> tuple[Settings, list[str]]:
    """For `moderator run`: fill secrets the environment did not set (webhook, session,
    callback signing) from files in data_dir (created with mode 0600 on first start), so they
    stay the same across restarts. Returns the settings and the names of the secrets generated
    now (the only time they are shown)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    generated: list[str] = []

    def kept(name: str, value: str) -> str:
        if value:
            return value
        path = settings.data_dir / name
        if path.exists():
            return path.read_text().strip()
        fresh = secrets.token_hex(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(fresh + "\n")
        generated.append(name)
        return fresh

    webhook = settings.webhook.model_copy(
        update={"secret": kept("webhook_secret", settings.webhook.secret)}
    )
    ui = settings.ui.model_copy(
        update={"session_secret": kept("session_secret", settings.ui.session_secret)}
    )
    callback = settings.callback.model_copy(
        update={"secret": kept("callback_secret", settings.callback.secret)}
    )
    update = {"webhook": webhook, "ui": ui, "callback": callback}
    return settings.model_copy(update=update), generated
