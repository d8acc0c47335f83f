"""The site model in the real scoring pipeline (build_scoring with `model.site_model`) and in a
real worker on real Redis: a `site` score and the model named in the record, its own review
rule, never a hold on its own, and the lexicon's severity-3 holds untouched."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from moderator import keys
from moderator.adapters.redis.client import connect_async
from moderator.adapters.redis.review import RedisReviewStore
from moderator.bootstrap.scoring import build_scoring
from moderator.cli import main
from moderator.core.models import Comment, Decision
from moderator.core.policy import parse_policy
from moderator.errors import ConfigError, ModelUnavailableError
from moderator.training.site_model import latest, save, train_site
from tests.training.test_train_site import decisions
from tests.web.seeding import now_ms
from tests.worker.test_worker import RETARD, drain, enqueue, make_worker

SLANG = "honestly Rosa is a blorft"
PLAIN = "honestly Rosa is a delight"


@pytest.fixture(scope="module")
def site_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    trained = train_site(latest(decisions()), log=lambda s: None)
    path = tmp_path_factory.mktemp("site") / "site.npz"
    save(trained, path)
    return path, str(trained.meta["version"])


def test_the_pipeline_adds_the_site_score_rule_and_model(make_settings, site_file) -> None:
    path, version = site_file
    service = build_scoring(
        make_settings(model={"spec": "offline", "site_model": str(path)}), log=lambda s: None
    )
    slang, plain, slur = service.score(
        [Comment("a", SLANG), Comment("b", PLAIN), Comment("c", RETARD)]
    )

    assert slang.scores["site"] is not None and slang.scores["site"] > 0.5
    assert slang.action == "review"  # the site rule reviews; it never holds on its own
    site_reasons = [r for r in slang.reasons if "rule site-review" in r]
    assert site_reasons and f"(model site@{version})" in site_reasons[0]
    assert slang.to_dict()["site_model"] == {"name": "site", "version": version}
    assert slang.to_dict()["model"]["name"] == "offline-bilingual"

    assert plain.scores["site"] is not None and plain.scores["site"] < 0.5
    assert plain.action == "approve" and not plain.reasons

    # A severity-3 slur the site's decisions never showed: still held by the lexicon.
    assert slur.action == "hold" and any("rule lexicon-hold" in r for r in slur.reasons)


def test_without_a_site_model_the_record_is_unchanged(make_settings) -> None:
    service = build_scoring(make_settings(model={"spec": "offline"}), log=lambda s: None)
    (record,) = service.score([Comment("a", SLANG)])
    assert "site" not in record.scores and "site_model" not in record.to_dict()
    assert not any("site-review" in r for r in record.reasons)


def test_a_missing_site_model_stops_start_up(make_settings, tmp_path) -> None:
    settings = make_settings(model={"spec": "offline", "site_model": "models/none.npz"})
    with pytest.raises(ModelUnavailableError, match=r"model.site_model models/none.npz is not"):
        build_scoring(settings, log=lambda s: None)
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not a zip")
    settings = make_settings(model={"spec": "offline", "site_model": str(broken)})
    with pytest.raises(ModelUnavailableError, match=r"cannot load"):
        build_scoring(settings, log=lambda s: None)


def test_a_hold_rule_on_the_site_label_is_refused() -> None:
    rule = {"name": "site-hold", "label": "site", "min": 0.9, "action": "hold"}
    with pytest.raises(ConfigError, match=r"may review, never hold"):
        parse_policy({"version": "1", "rules": [rule]})


def test_a_worker_stores_the_site_score_on_real_redis(
    make_settings, redis_client, redis_url, site_file, monkeypatch, tmp_path
) -> None:
    path, version = site_file
    settings = make_settings(model={"spec": "offline", "site_model": str(path)})
    worker = make_worker(settings, build_scoring(settings, log=lambda s: None), redis_client)
    enqueue(redis_client, Comment("s1", SLANG), Comment("s2", PLAIN))
    drain(worker)

    stored = redis_client.hgetall(keys.comment("default:s1"))
    record = json.loads(stored["record"])
    assert stored["state"] == "queued" and stored["queue"] == "review"
    assert record["site_model"] == {"name": "site", "version": version}
    assert record["scores"]["site"] > 0.5
    assert redis_client.hgetall(keys.comment("default:s2"))["state"] == "approved"
    events = [json.loads(f["data"]) for _, f in redis_client.xrange(keys.FEED_STREAM)]
    scored = next(e for e in events if e["id"] == "s1")
    assert "site-review" in json.dumps(scored)

    # A reviewer rejects it; the decisions export carries the site score for the next training.
    async def reject() -> None:
        client = connect_async(redis_url)
        try:
            review = RedisReviewStore(client, deliver_callbacks=False)
            await review.decide(
                "default:s1", Decision.REJECT, by="rita", reason=None, note=None, now_ms=now_ms()
            )
        finally:
            await client.aclose()

    asyncio.run(reject())
    monkeypatch.setenv("MODERATOR_REDIS_URL", redis_url)
    out = tmp_path / "decisions.jsonl"
    assert main(["export", "decisions", "--output", str(out)]) == 0
    (row,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert row["id"] == "s1" and row["state"] == "rejected"
    assert row["score_site"] == record["scores"]["site"]
