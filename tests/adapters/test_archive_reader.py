"""decided_comments against a real Redis: every comment in a final state, once, with its score
record, its decisions (audit entries, oldest first), notes and whether it was sampled."""

from __future__ import annotations

import pytest

from moderator.adapters.archive import decided_comments
from moderator.adapters.redis.review import RedisReviewStore
from moderator.core.models import Decision
from tests.web.seeding import (  # noqa: F401 (fixtures by name)
    Seeder,
    anyio_backend_fixture,
    aredis_fixture,
    now_ms,
    seeder_fixture,
)


async def seed_decided(aredis, seeder: Seeder) -> int:
    """a0 approved by the policy (now), r1 rejected and r2 approved by rita (an hour later),
    q3 still waiting; returns the time of the decisions."""
    review = RedisReviewStore(aredis, deliver_callbacks=False)
    start = now_ms() + 3_600_000
    seeder.add("a0", "fine words", action="approve", priority=0.1)
    for i, decision in ((1, Decision.REJECT), (2, Decision.APPROVE)):
        ref = seeder.add(f"r{i}", f"text {i}", action="review", site="blog")
        await review.add_note(ref, by="rita", text=f"note {i}", now_ms=start)
        await review.decide(ref, decision, by="rita", reason=None, note=None, now_ms=start + i)
    seeder.add("q3", "waiting", action="hold")
    return start


@pytest.mark.anyio
async def test_decided_comments_from_redis(aredis, seeder):
    start = await seed_decided(aredis, seeder)
    found = {c.ref: c async for c in decided_comments(aredis, None)}
    assert sorted(found) == ["blog:r1", "blog:r2", "default:a0"]
    rejected = found["blog:r1"]
    assert (rejected.state, rejected.version, rejected.decided_at) == ("rejected", 1, start + 1)
    assert [d["decision"] for d in rejected.decisions] == ["reject"]
    assert rejected.decisions[0]["by"] == "rita" and rejected.decisions[0]["audit_id"]
    assert rejected.record and rejected.record["scores"]["toxicity"] == 0.5
    assert [n["text"] for n in rejected.notes] == ["note 1"] and rejected.by_reviewer
    auto = found["default:a0"]
    assert (auto.state, auto.version, auto.decisions, auto.by_reviewer) == (
        "approved",
        0,
        [],
        False,
    )
    assert auto.comment["text"] == "fine words" and not auto.archived


@pytest.mark.anyio
async def test_decided_comments_window(aredis, seeder):
    start = await seed_decided(aredis, seeder)
    refs = [c.ref async for c in decided_comments(aredis, since_ms=start + 2, until_ms=start + 2)]
    assert refs == ["blog:r2"]


def test_the_web_process_does_not_import_the_archive_libraries_at_start():
    """pyarrow, duckdb and fsspec take about half a second to import: only on first use."""
    import subprocess
    import sys

    code = (
        "import sys, moderator.web.app, moderator.bootstrap, moderator.adapters.archive.archiver; "
        "print(sorted(m for m in ('pyarrow', 'duckdb', 'fsspec') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
