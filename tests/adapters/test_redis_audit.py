"""The audit log against a real Redis: search by reviewer, comment, decision and time, bounded
reads that resume, and `moderator export decisions` in both formats."""

from __future__ import annotations

import asyncio
import csv
import io
import json

import pytest

from moderator.adapters.redis.audit import AuditQuery, RedisAudit
from moderator.adapters.redis.client import connect_async
from moderator.adapters.redis.review import RedisReviewStore
from moderator.cli import main
from moderator.core.models import Decision
from tests.web.seeding import (  # noqa: F401 (fixtures by name)
    Seeder,
    anyio_backend_fixture,
    aredis_fixture,
    now_ms,
    seeder_fixture,
)

SLUR = {"term": "retard", "match": "retard", "category": "ableist", "severity": 3}


async def decide_some(aredis, seeder: Seeder) -> int:
    """c0..c5 decided by two reviewers (c1 undone, c4 escalated); returns the first time."""
    review = RedisReviewStore(aredis, deliver_callbacks=False)
    start = now_ms()
    for i in range(6):
        ref = seeder.add(
            f"c{i}",
            f"=cmd|' /C calc'!A{i}",
            matches=[{**SLUR, "start": 0, "end": 1}],
            author=(f"u{i}", None),
        )
        decision = Decision.ESCALATE if i == 4 else Decision.REJECT if i % 2 else Decision.APPROVE
        who = "rita" if i < 3 else "bob"
        done = await review.decide(
            ref, decision, by=who, reason="spam" if i % 2 else None, note=None, now_ms=start + i
        )
        if i == 1:
            await review.undo(
                ref, done["version"], by=who, now_ms=start + 10, window_ms=10000, lease_ms=1000
            )
    return start


@pytest.mark.anyio
async def test_search_by_reviewer_decision_comment_and_time(aredis, seeder):
    start = await decide_some(aredis, seeder)
    audit = RedisAudit(aredis, scan_max=1000)

    async def found(**query: object) -> list[tuple[str, str]]:
        page = await audit.search(AuditQuery(**query), 50)  # type: ignore[arg-type]
        return [(e["id"], e["decision"]) for e in page.entries]

    assert await found(reviewer="rita") == [  # newest first, as appended
        ("c2", "approve"),
        ("c1", "undo"),
        ("c1", "reject"),
        ("c0", "approve"),
    ]
    assert await found(decision="reject") == [("c5", "reject"), ("c3", "reject"), ("c1", "reject")]
    assert await found(comment_id="c1") == [("c1", "undo"), ("c1", "reject")]
    assert await found(since_ms=start + 3, until_ms=start + 4) == [
        ("c4", "escalate"),
        ("c3", "reject"),
    ]
    page = await audit.search(AuditQuery(comment_id="c4"), 10)
    (entry,) = page.entries
    assert entry["comment"]["text"].startswith("=cmd") and entry["policy_version"]
    assert entry["previous_state"] == "queued" and entry["state"] == "escalated"


@pytest.mark.anyio
async def test_search_reads_at_most_scan_max_and_resumes(aredis, seeder):
    await decide_some(aredis, seeder)
    audit = RedisAudit(aredis, scan_max=2)
    seen: list[str] = []
    before = None
    for _ in range(10):
        page = await audit.search(AuditQuery(reviewer="rita", before=before), 50)
        assert page.scanned <= 2
        seen += [e["id"] for e in page.entries]
        if page.next_before is None:
            break
        before = page.next_before
    assert seen == ["c2", "c1", "c1", "c0"]


def test_export_decisions_as_jsonl_and_csv(redis_url, seeder, monkeypatch, tmp_path, capsys):
    async def seed() -> None:
        client = connect_async(redis_url)
        try:
            await decide_some(client, seeder)
        finally:
            await client.aclose()

    asyncio.run(seed())
    monkeypatch.setenv("MODERATOR_REDIS_URL", redis_url)
    out = tmp_path / "decisions.jsonl"
    assert main(["export", "decisions", "--format", "jsonl", "--output", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["id"], r["decision"], r["version"]) for r in rows] == [
        ("c0", "approve", 1),
        ("c1", "reject", 1),
        ("c1", "undo", 2),
        ("c2", "approve", 1),
        ("c3", "reject", 1),
        ("c4", "escalate", 1),
        ("c5", "reject", 1),
    ]
    first = rows[0]
    assert first["text"] == "=cmd|' /C calc'!A0" and first["categories"] == ["ableist"]
    assert first["model"] == "test-model@1" and first["policy_version"] == "test-policy-1"
    assert first["score_toxicity"] == 0.5 and first["score_threat"] is None
    assert first["by"] == "rita" and first["author_id"] == "u0" and first["language"] == "en"
    assert "Exported 7 decisions." in capsys.readouterr().err

    assert main(["export", "decisions", "--format", "csv"]) == 0
    table = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(table) == 7 and table[1]["reason"] == "spam"
    assert table[0]["text"] == "'=cmd|' /C calc'!A0"  # never a live formula in a spreadsheet
    assert main(["export", "decisions", "--since", "2000-01-01", "--until", "2000-01-02"]) == 0
    assert capsys.readouterr().out == ""
