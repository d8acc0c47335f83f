"""`moderator archive` by hand, and the service's own archive run: due when the last run (by
any process) is every_s old, skipped while another holds the lease, never fatal."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from moderator import keys
from moderator.adapters.archive.archiver import Archiver
from moderator.adapters.archive.parquet import ParquetArchive
from moderator.adapters.archive.schedule import ArchiveSchedule
from moderator.cli import main
from tests.web.seeding import (  # noqa: F401 (fixtures by name)
    Seeder,
    anyio_backend_fixture,
    aredis_fixture,
    seeder_fixture,
)

TINY_DAYS = 1e-6  # 86 ms


def test_moderator_archive_by_hand(redis_url, redis_client, seeder, monkeypatch, tmp_path, capsys):
    for i in range(3):
        seeder.add(f"a{i}", "fine", action="approve")
    seeder.add("held", "held", action="hold")
    time.sleep(0.1)
    monkeypatch.setenv("MODERATOR_REDIS_URL", redis_url)
    monkeypatch.setenv("MODERATOR_ARCHIVE__URL", str(tmp_path / "archive"))
    assert main(["archive", "--hot-days", str(TINY_DAYS)]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["archived"] == 3 and "Archived 3 comments" in err
    assert [k for k in redis_client.scan_iter(keys.comment("*"))] == [keys.comment("default:held")]
    assert len(list((tmp_path / "archive" / "comments").glob("day=*/*.parquet"))) == 1
    redis_client.set(keys.ARCHIVE_LEASE, "another", px=60_000)
    assert main(["archive"]) == 2  # one archiver at a time: a sentence, exit 2
    assert "Another archiver is running" in capsys.readouterr().err
    redis_client.delete(keys.ARCHIVE_LEASE)
    seeder.add("a9", "fine", action="approve")
    time.sleep(0.1)
    monkeypatch.setenv("MODERATOR_ARCHIVE__URL", str(tmp_path / "archive" / "comments" / "x"))
    (tmp_path / "archive" / "comments" / "x").write_text("a file, not a directory")
    assert main(["archive", "--hot-days", str(TINY_DAYS)]) == 2  # a sentence, nothing lost
    assert "cannot be written" in capsys.readouterr().err
    assert redis_client.exists(keys.comment("default:a9"))


@pytest.mark.anyio
async def test_the_service_archives_when_due(aredis, seeder, redis_client, tmp_path):
    seeder.add("a0", "fine", action="approve")
    await asyncio.sleep(0.1)
    archiver = Archiver(aredis, ParquetArchive(str(tmp_path / "a")), hot_days=TINY_DAYS)
    schedule = ArchiveSchedule(aredis, archiver, every_s=3600, check_s=0.02)
    stop = asyncio.Event()
    task = asyncio.create_task(schedule.run(stop))
    for _ in range(200):
        if redis_client.hget(keys.ARCHIVE_LAST_RUN, "archived"):
            break
        await asyncio.sleep(0.02)
    assert redis_client.hget(keys.ARCHIVE_LAST_RUN, "archived") == "1"
    seeder.add("a1", "fine", action="approve")  # not archived: the next run is an hour away
    await asyncio.sleep(0.2)
    stop.set()
    await task
    assert redis_client.exists(keys.comment("default:a1"))
    assert not await schedule.due(int(time.time() * 1000))
    assert await schedule.due(int(time.time() * 1000) + 3_600_000)


@pytest.mark.anyio
async def test_a_failing_run_does_not_end_the_loop(aredis, seeder, redis_client, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the archive should be")
    seeder.add("a0", "fine", action="approve")
    await asyncio.sleep(0.1)
    archiver = Archiver(aredis, ParquetArchive(str(blocker)), hot_days=TINY_DAYS)
    schedule = ArchiveSchedule(aredis, archiver, every_s=3600, check_s=0.02)
    stop = asyncio.Event()
    task = asyncio.create_task(schedule.run(stop))
    await asyncio.sleep(0.2)
    assert not task.done()  # it failed (logged) and goes on looking
    stop.set()
    await task
    assert redis_client.exists(keys.comment("default:a0"))  # nothing deleted
    assert redis_client.hlen(keys.ARCHIVE_PENDING) == 1  # the plan waits for the next run
