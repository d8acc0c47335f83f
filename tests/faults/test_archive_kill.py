"""`moderator archive` killed with SIGKILL in the middle of a run (a real process, files already
written, Redis half cleaned), then run again: every decided comment is still readable, each is in
the archive exactly once, nothing is left planned, the lease is free."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import redis

from moderator import keys
from moderator.adapters.archive import decided_comments
from moderator.adapters.archive.parquet import ParquetArchive
from moderator.adapters.redis.client import connect_async
from tests.web.seeding import Seeder

N = 1500
BATCH = 25


async def _visible(url: str, archive: ParquetArchive | None) -> list[str]:
    client = connect_async(url)
    try:
        return sorted([c.ref async for c in decided_comments(client, archive)])
    finally:
        await client.aclose()


def _archive(url: str, archive_dir: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "MODERATOR_REDIS_URL": url,
        "MODERATOR_ARCHIVE__URL": str(archive_dir),
        "MODERATOR_RETENTION__BATCH_SIZE": str(BATCH),
    }
    command = [sys.executable, "-m", "moderator.cli", "archive", "--hot-days", "1e-6"]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_sigkill_midway_then_rerun(redis_url: str, redis_client: redis.Redis, tmp_path: Path):
    seeder = Seeder(redis_client)
    for i in range(N):
        seeder.add(f"a{i}", f"fine words {i}", action="approve", author=(f"u{i % 50}", None))
    time.sleep(0.1)  # older than the 86 ms hot_days
    before = asyncio.run(_visible(redis_url, None))
    archive_dir = tmp_path / "archive"
    first = _archive(redis_url, archive_dir)
    deadline = time.monotonic() + 60
    while len(list(archive_dir.rglob("*.parquet"))) < 3 and time.monotonic() < deadline:
        assert first.poll() is None, first.communicate()
        time.sleep(0.005)
    first.send_signal(signal.SIGKILL)
    first.communicate(timeout=10)  # reaps it and closes its pipes
    left = len(list(redis_client.scan_iter(keys.comment("*"))))
    assert 0 < left < N  # killed midway: some archived, some not
    assert redis_client.exists(keys.ARCHIVE_LEASE)  # a killed archiver keeps its lease ...
    archive = ParquetArchive(str(archive_dir))
    assert asyncio.run(_visible(redis_url, archive)) == before  # ... and nothing is lost
    redis_client.delete(keys.ARCHIVE_LEASE)  # as when it runs out (retention.lease_s)

    second = _archive(redis_url, archive_dir)
    out, err = second.communicate(timeout=120)
    assert second.returncode == 0, err.decode()
    assert json.loads(out)["archived"] >= left  # what the first left, and its planned batch
    assert asyncio.run(_visible(redis_url, archive)) == before
    refs = [r for f in archive.files("comments") for r in pq.read_table(f, columns=["ref"])["ref"]]
    assert len(refs) == len(set(refs)) == N  # each exactly once
    assert not list(redis_client.scan_iter(keys.comment("*")))
    assert not redis_client.hlen(keys.ARCHIVE_PENDING)
    assert not redis_client.exists(keys.ARCHIVE_LEASE)
    assert not list(archive_dir.rglob(".*.tmp"))  # a half-written file never stays
