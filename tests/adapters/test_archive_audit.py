"""Nothing disappears from a user's view when it moves to the archive: the audit search and
`moderator export decisions` read the archive (DuckDB over Parquet) and Redis together, each
decision once, with its comment, while some are archived, some hot, some in both."""

from __future__ import annotations

import asyncio
import contextlib
import json

import pytest

from moderator.adapters.archive.archiver import DAY_MS, Archiver
from moderator.adapters.archive.audit import ArchivedAudit
from moderator.adapters.archive.parquet import ParquetArchive
from moderator.adapters.redis.audit import AuditQuery, RedisAudit
from moderator.adapters.redis.client import connect_async
from moderator.adapters.redis.review import RedisReviewStore
from moderator.cli import main
from moderator.core.models import Decision
from tests.adapters.test_redis_audit import decide_some
from tests.web.seeding import (  # noqa: F401 (fixtures by name)
    Seeder,
    anyio_backend_fixture,
    aredis_fixture,
    now_ms,
    seeder_fixture,
)

LATER = 15 * DAY_MS
ALL = [
    ("c0", "approve"),
    ("c1", "reject"),
    ("c1", "undo"),
    ("c2", "approve"),
    ("c3", "reject"),
    ("c4", "escalate"),
    ("c5", "reject"),
    ("n6", "reject"),
]


class Killed(BaseException):
    pass


async def archive_then_decide(aredis, seeder: Seeder, archive: ParquetArchive, stop: str = ""):
    """c0..c5 decided (c4 escalated: stays in Redis), archived 15 days on (killed at `stop`,
    when given), then n6 decided: the hot part."""
    await decide_some(aredis, seeder)

    def kill(step: str) -> None:
        if step == stop:
            raise Killed(step)

    with contextlib.suppress(Killed):
        await Archiver(aredis, archive, hot_days=14, checkpoint=kill).run(now_ms() + LATER)
    review = RedisReviewStore(aredis, deliver_callbacks=False)
    ref = seeder.add("n6", "new and hot")
    await review.decide(ref, Decision.REJECT, by="bob", reason="spam", note=None, now_ms=now_ms())


@pytest.mark.anyio
@pytest.mark.parametrize("stop", ["", "trimmed"])  # "trimmed": archived, not yet trimmed
async def test_search_reads_archive_and_redis(aredis, seeder, tmp_path, stop):
    archive = ParquetArchive(str(tmp_path / "archive"))
    await archive_then_decide(aredis, seeder, archive, stop)
    assert archive.files("audit")
    audit = ArchivedAudit(RedisAudit(aredis, scan_max=1000), archive)

    async def found(limit: int = 50, **query: object) -> list[tuple[str, str]]:
        page = await audit.search(AuditQuery(**query), limit)  # type: ignore[arg-type]
        return [(e["id"], e["decision"]) for e in page.entries]

    assert await found() == ALL[::-1]  # newest first, each once
    assert await found(reviewer="rita") == [
        ("c2", "approve"),
        ("c1", "undo"),
        ("c1", "reject"),
        ("c0", "approve"),
    ]
    assert await found(comment_id="c1") == [("c1", "undo"), ("c1", "reject")]
    assert await found(decision="reject", reviewer="bob") == [
        ("n6", "reject"),
        ("c5", "reject"),
        ("c3", "reject"),
    ]
    page = await audit.search(AuditQuery(comment_id="c3"), 5)
    (entry,) = page.entries
    assert entry["comment"]["text"].startswith("=cmd") and entry["record"]["scores"]

    pages, before = [], None  # pages of 3 go on from Redis into the archive
    for _ in range(5):
        page = await audit.search(AuditQuery(before=before), 3)
        pages.append([(e["id"], e["decision"]) for e in page.entries])
        before = page.next_before
        if before is None:
            break
    assert [x for p in pages for x in p] == ALL[::-1]
    assert all(e["comment"] for p in [page.entries] for e in p)


@pytest.mark.parametrize("stop", ["", "trimmed", "written"])
def test_export_reads_archive_and_redis(redis_url, seeder, monkeypatch, tmp_path, capsys, stop):
    archive_dir = tmp_path / "archive"

    async def seed() -> None:
        client = connect_async(redis_url)
        try:
            await archive_then_decide(client, seeder, ParquetArchive(str(archive_dir)), stop)
        finally:
            await client.aclose()

    asyncio.run(seed())
    monkeypatch.setenv("MODERATOR_REDIS_URL", redis_url)
    monkeypatch.setenv("MODERATOR_ARCHIVE__URL", str(archive_dir))
    out = tmp_path / "decisions.jsonl"
    assert main(["export", "decisions", "--output", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["id"], r["decision"]) for r in rows] == ALL  # oldest first, each once
    assert rows[0]["text"] == "=cmd|' /C calc'!A0" and rows[0]["score_toxicity"] == 0.5
    assert rows[0]["categories"] == ["ableist"] and rows[-1]["text"] == "new and hot"
    assert "Exported 8 decisions." in capsys.readouterr().err
