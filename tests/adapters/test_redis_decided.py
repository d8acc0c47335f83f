"""iter_decided and `moderator backtest` on decisions made through the real review store, read from
Redis and, once archived, from the archive."""

from __future__ import annotations

import asyncio
import json

import pytest

from moderator import keys
from moderator.adapters.redis.decided import iter_decided
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

DAY = 86_400_000


def text(i: int) -> str:
    """A comment no model finds toxic (the stored records say otherwise: see the rescore test)."""
    return f"Thanks for the recipe, the bread turned out great and my family loved it (number {i})."


async def decide_all(aredis, seeder: Seeder, start: int) -> None:
    """r1 rejected, r2 approved then undone then rejected, r3 approved, r4 escalated only,
    r5 rejected by the platform (never scored as toxic: a miss), r6 decided a day earlier."""
    review = RedisReviewStore(aredis, deliver_callbacks=False)
    refs = {
        f"r{i}": seeder.add(f"r{i}", text(i), scores={"toxicity": tox}, action=act, language=lang)
        for i, (tox, act, lang) in enumerate(
            [
                (0.9, "review", "en"),
                (0.7, "review", "en"),
                (0.6, "review", "es"),
                (0.8, "review", "en"),
                (0.1, "approve", "es"),
                (0.9, "review", "en"),
            ],
            start=1,
        )
    }
    await review.decide(
        refs["r1"], Decision.REJECT, by="rita", reason=None, note=None, now_ms=start
    )
    done = await review.decide(
        refs["r2"], Decision.APPROVE, by="rita", reason=None, note=None, now_ms=start + 1
    )
    await review.undo(
        refs["r2"], done["version"], by="rita", now_ms=start + 2, window_ms=10_000, lease_ms=1000
    )
    await review.decide(
        refs["r2"], Decision.REJECT, by="rita", reason=None, note=None, now_ms=start + 3
    )
    await review.decide(
        refs["r3"], Decision.APPROVE, by="bob", reason=None, note=None, now_ms=start + 4
    )
    await review.decide(
        refs["r4"], Decision.ESCALATE, by="bob", reason=None, note=None, now_ms=start + 5
    )
    await review.platform_decide(
        refs["r5"], Decision.REJECT, by="platform:wp", reason=None, note=None, now_ms=start + 6
    )
    await review.decide(
        refs["r6"], Decision.REJECT, by="bob", reason=None, note=None, now_ms=start - DAY
    )


@pytest.mark.anyio
async def test_decided_comments_carry_their_record_and_standing_label(aredis, seeder, redis_client):
    start = now_ms()
    await decide_all(aredis, seeder, start)
    found = {d.id: d async for d in iter_decided(aredis, since_ms=start)}
    assert {k: v.label for k, v in found.items()} == {
        "r1": "reject",
        "r2": "reject",
        "r3": "approve",
        "r5": "reject",
    }
    assert found["r5"].by == "platform:wp" and found["r5"].scores == {"toxicity": 0.1}
    assert found["r2"].text == text(2) and [e["decision"] for e in found["r2"].decisions] == [
        "approve",
        "undo",
        "reject",
    ]
    assert found["r3"].language == "es" and found["r3"].policy_version == "test-policy-1"
    assert {d.id async for d in iter_decided(aredis)} == {"r1", "r2", "r3", "r5", "r6"}


@pytest.mark.anyio
async def test_backtest_json_counts_what_was_decided(
    aredis, seeder, redis_url, monkeypatch, capsys
):
    monkeypatch.setenv("MODERATOR_REDIS_URL", redis_url)
    start = now_ms()
    await decide_all(aredis, seeder, start)
    from datetime import UTC, datetime

    day = datetime.fromtimestamp(start / 1000, UTC).date().isoformat()
    assert (
        await asyncio.to_thread(
            main, ["backtest", "--since", day, "--until", day, "--format", "json"]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    current = out["current"]
    assert out["candidate"] is None
    assert current["window"] == {"since": day, "until": day}
    # r1, r2 rejected and sent (0.9, 0.7 ≥ 0.5); r5 rejected by the platform, approved: a miss;
    # r3 approved, sent (0.6); r4 escalated only (no label); r6 decided the day before.
    assert current["decided"] == 4
    assert current["miss_rate"]["value"] == pytest.approx(1 / 3)
    assert current["per_day_review"] == 3
    assert current["precision"]["review"] == pytest.approx(2 / 3)
    assert current["by_language"]["es"]["decided"] == 2
    assert set(current) >= {
        "policy",
        "window",
        "decided",
        "sampled",
        "per_day_review",
        "miss_rate",
        "false_hold_rate",
        "precision",
        "recall",
        "by_language",
    }
    assert await asyncio.to_thread(main, ["backtest", "--since", day]) == 0
    text = capsys.readouterr().out
    assert "4 decided comments (0 from the control sample, 0 never scored)" in text
    assert "miss rate [95 % interval]" in text and "language es:" in text
    assert await asyncio.to_thread(main, ["backtest", "--since", "yesterday"]) == 2
    assert "is not a date" in capsys.readouterr().err


@pytest.mark.anyio
async def test_calibrate_with_too_few_decisions_says_so_and_stores_nothing(
    aredis, seeder, redis_url, redis_client, monkeypatch, capsys
):
    monkeypatch.setenv("MODERATOR_REDIS_URL", redis_url)
    await decide_all(aredis, seeder, now_ms())
    assert await asyncio.to_thread(main, ["calibrate", "--target-recall", "0.95", "--apply"]) == 0
    out = capsys.readouterr().out
    assert "en: too few decisions to recommend a threshold (3 rejected comments" in out
    assert "No threshold to change: nothing recommended." in out
    assert redis_client.llen(keys.POLICY_LOG) == 1  # the seed only
    assert await asyncio.to_thread(main, ["calibrate", "--target-recall", "1.5"]) == 2
    assert "--target-recall must be in (0, 1]" in capsys.readouterr().err


@pytest.mark.anyio
async def test_backtest_rescore_scores_the_texts_again(
    aredis, seeder, redis_url, monkeypatch, capsys
):
    """The stored records say r1 and r2 are toxic (0.9, 0.7); their texts (a thank-you note) are
    not: scored again by today's (offline) model, every rejected comment is a miss."""
    monkeypatch.setenv("MODERATOR_REDIS_URL", redis_url)
    start = now_ms()
    await decide_all(aredis, seeder, start)
    args = ["backtest", "--since", "2000-01-01", "--format", "json"]
    assert await asyncio.to_thread(main, args) == 0
    stored = json.loads(capsys.readouterr().out)["current"]
    assert await asyncio.to_thread(main, [*args, "--rescore", "--model", "offline"]) == 0
    rescored = json.loads(capsys.readouterr().out)["current"]
    assert stored["decided"] == rescored["decided"] == 5
    assert stored["miss_rate"]["value"] == pytest.approx(1 / 4)
    assert rescored["miss_rate"]["value"] == 1.0


@pytest.mark.anyio
async def test_backtest_counts_the_same_before_and_after_archiving(
    aredis, seeder, redis_url, redis_client, tmp_path, monkeypatch, capsys
):
    """Comments archived after retention.hot_days leave Redis and still count: iter_decided and
    backtest's JSON (decided, every figure, per language) are the same before and after."""
    from datetime import UTC, datetime

    from moderator import keys
    from moderator.adapters.archive.archiver import Archiver
    from moderator.adapters.archive.parquet import ParquetArchive

    monkeypatch.setenv("MODERATOR_REDIS_URL", redis_url)
    monkeypatch.setenv("MODERATOR_ARCHIVE__URL", str(tmp_path / "archive"))
    start = now_ms()
    await decide_all(aredis, seeder, start)
    day = datetime.fromtimestamp(start / 1000, UTC).date().isoformat()
    runs = [
        ["backtest", "--since", day, "--until", day, "--format", "json"],
        ["backtest", "--format", "json"],
    ]
    before = []
    for args in runs:
        assert await asyncio.to_thread(main, args) == 0
        before.append(json.loads(capsys.readouterr().out))
    hot = {d.id: d async for d in iter_decided(aredis)}
    archive = ParquetArchive(str(tmp_path / "archive"))
    report = await Archiver(aredis, archive, hot_days=14).run(start + 15 * DAY)
    assert report.archived == 5  # every decided comment; r4 (escalated) waits in Redis
    assert not redis_client.exists(keys.comment("default:r1"), keys.comment("default:r6"))
    assert redis_client.exists(keys.comment("default:r4"))
    assert {d.id async for d in iter_decided(aredis)} == set()  # Redis alone has lost them
    cold = {d.id: d async for d in iter_decided(aredis, archive)}
    assert {k: (v.label, v.at_ms, v.record, v.text) for k, v in cold.items()} == {
        k: (v.label, v.at_ms, v.record, v.text) for k, v in hot.items()
    }
    after = []
    for args in runs:
        assert await asyncio.to_thread(main, args) == 0
        after.append(json.loads(capsys.readouterr().out))
    assert after == before
    assert before[0]["current"]["decided"] == 4 and before[1]["current"]["decided"] == 5
    assert before[1]["current"]["miss_rate"]["value"] == pytest.approx(1 / 4)
