"""Policies as versions in a real Redis: seed, apply, rollback, the log, reloads, a worker."""

from __future__ import annotations

import dataclasses
import threading
import time

import pytest

from moderator import bootstrap, keys
from moderator.adapters.redis.policies import PolicyReloader, RedisPolicies, sync_from_file
from moderator.core.models import Comment
from moderator.core.policy import load_policy
from moderator.errors import ConfigError, NotFoundError
from moderator.settings import PROJECT_ROOT
from tests.worker.conftest import service_fixture, service_parts_fixture  # noqa: F401
from tests.worker.test_worker import enqueue, make_worker

FILE = load_policy(PROJECT_ROOT / "config/policy.toml")


def stricter(version: str = "strict-1"):
    rules = tuple(
        dataclasses.replace(r, min=0.0) if r.label == "toxicity" else r for r in FILE.rules
    )
    return dataclasses.replace(FILE, version=version, rules=rules)


def test_the_file_seeds_version_1_and_seeding_again_changes_nothing(redis_client):
    policies = RedisPolicies(redis_client)
    assert policies.seed(FILE, "file:policy.toml") == FILE.version
    assert policies.seed(stricter(), "someone") == FILE.version
    (only,) = policies.versions()
    assert (only.seq, only.version, only.by) == (1, FILE.version, "file:policy.toml")
    assert only.policy == FILE


def test_apply_and_rollback_are_logged_with_who_and_why(redis_client):
    policies = RedisPolicies(redis_client)
    policies.seed(FILE, "file")
    assert policies.apply(stricter(), "ana", "too many misses in es") == "strict-1"
    assert policies.current_version() == "strict-1"
    assert policies.rollback(None, "bo", "reviewers drown") == FILE.version
    log = policies.log()
    assert [(e["action"], e["by"], e["why"]) for e in log] == [
        ("seed", "file", "seeded from the policy file"),
        ("apply", "ana", "too many misses in es"),
        ("rollback", "bo", "reviewers drown"),
    ]
    assert [(e["previous"], e["version"]) for e in log[1:]] == [
        (FILE.version, "strict-1"),
        ("strict-1", FILE.version),
    ]
    assert [v.version for v in policies.versions()] == [FILE.version, "strict-1"]


def test_a_version_name_is_never_reused_for_other_rules(redis_client):
    policies = RedisPolicies(redis_client)
    policies.seed(FILE, "file")
    policies.apply(stricter(), "ana", "first")
    changed = dataclasses.replace(stricter(), rules=FILE.rules)
    with pytest.raises(ConfigError, match="stored already with other rules"):
        policies.apply(changed, "ana", "second")
    assert policies.get("strict-1").policy == stricter()
    with pytest.raises(NotFoundError):
        policies.rollback("nope", "ana", "why")
    assert policies.current_version() == "strict-1"


def test_sync_from_file_applies_a_new_file_version_and_keeps_a_calibrated_one(redis_client):
    policies = RedisPolicies(redis_client)
    assert sync_from_file(policies, FILE, "file") == FILE
    policies.apply(stricter(), "calibrate", "recall 0.95")
    assert sync_from_file(policies, FILE, "file").version == "strict-1"  # the file is old news
    bumped = dataclasses.replace(FILE, version="2026.12.1")
    assert sync_from_file(policies, bumped, "file").version == "2026.12.1"


def test_the_reloader_reads_redis_at_most_every_reload_s(redis_client):
    policies = RedisPolicies(redis_client)
    policies.seed(FILE, "file")
    now = [100.0]
    reloader = PolicyReloader(policies, FILE, reload_s=10, clock=lambda: now[0])
    policies.apply(stricter(), "ana", "why")
    now[0] += 9
    assert reloader.policy().version == FILE.version
    now[0] += 1
    assert reloader.policy().version == "strict-1"
    redis_client.hset(
        keys.POLICY_VERSIONS,
        "broken",
        '{"text": "version = ", "by": "x", "why": "x", "at": 0, "seq": 9}',
    )
    redis_client.set(keys.POLICY_CURRENT, "broken")
    now[0] += 10
    assert reloader.policy().version == "strict-1"  # an invalid version keeps the one in hand


def test_the_sample_rate_setting_overrides_every_version_the_reloader_answers(
    make_settings, redis_client, service
):
    settings = make_settings(policy={"sample_rate": 0.5})
    service.policy = dataclasses.replace(FILE, sample_rate=0.01)
    reloader = bootstrap.attach_policies(settings, redis_client, service)
    policies = RedisPolicies(redis_client)
    assert service.policy.sample_rate == 0.5 == reloader.policy().sample_rate
    assert policies.current().policy.sample_rate == 0.01  # the stored version is the file's own
    policies.apply(dataclasses.replace(stricter(), sample_rate=0.2), "ana", "why")
    reloader.reload_s = 0
    assert (reloader.policy().version, reloader.policy().sample_rate) == ("strict-1", 0.5)
    unset = PolicyReloader(policies, FILE, reload_s=0)
    assert unset.policy().sample_rate == 0.2  # no setting: the version's own rate


def test_a_running_worker_scores_with_a_new_version_within_reload_s(
    make_settings, redis_client, service
):
    settings = make_settings(policy={"reload_s": 0.2})
    policies = RedisPolicies(redis_client)
    policies.seed(FILE, "file")
    worker = make_worker(settings, service, redis_client)
    worker.reloader = PolicyReloader(policies, FILE, settings.policy.reload_s)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    thread.start()
    try:
        enqueue(redis_client, Comment("c1", "The weather was fine today."))
        first = _record(redis_client, "default:c1")
        policies.apply(stricter(), "ana", "review everything")
        time.sleep(0.3)
        enqueue(redis_client, Comment("c2", "The weather was fine today."))
        second = _record(redis_client, "default:c2")
    finally:
        stop.set()
        thread.join(5)
    assert (first["policy_version"], first["action"]) == (FILE.version, "approve")
    assert (second["policy_version"], second["action"]) == ("strict-1", "review")


def _record(r, ref: str) -> dict:
    import json

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        raw = r.hget(keys.comment(ref), "record")
        if raw:
            return json.loads(raw)
        time.sleep(0.05)
    raise AssertionError(f"{ref} was never scored")
