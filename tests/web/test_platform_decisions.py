"""Platform decisions (`POST /v1/comments/{id}/platform-decision`) in process on a real Redis,
with callbacks configured: accepted in any state, recorded as `platform:<token name>`, closing
the queue item and any claim, in the pull feed, the audit log and the decisions export, never in
the callback outbox; a retried request changes nothing."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
import redis

from moderator import keys
from moderator.bootstrap import build_web
from moderator.commands.export import row
from moderator.web.app import create_app
from tests.web.conftest import Web
from tests.web.seeding import Seeder

pytestmark = pytest.mark.anyio
SPAM = {"decision": "reject", "reason": "spam", "note": "marked spam in wp-admin"}


@pytest.fixture
async def web(make_settings, redis_client: redis.Redis) -> AsyncIterator[Web]:
    """The app with a callback URL (so reviewer decisions go to the outbox), not delivering."""
    settings = make_settings(callback={"url": "http://127.0.0.1:9/hook"})
    app = create_app(build_web(settings, settings.redis_url, deliver=False))
    running = Web(app, app.state.services, Seeder(redis_client, deliver_callbacks=True))
    yield running
    for c in running.clients:
        await c.aclose()
    await running.services.aclose()


def outbox_size(redis_client: redis.Redis) -> int:
    return int(redis_client.zcard(keys.OUTBOX)) + int(redis_client.zcard(keys.OUTBOX_DEAD))


async def test_a_platform_verdict_closes_the_item_and_is_not_sent_back(web: Web, redis_client):
    web.seeder.add("c1", action="hold")
    rita, blog = await web.bearer("reviewer", "rita"), await web.bearer("platform", "blog")
    assert (await rita.post("/v1/claims/c1")).status_code == 200
    before = outbox_size(redis_client)
    assert before == 1  # the `scored` event waits for delivery
    r = await blog.post("/v1/comments/c1/platform-decision", json=SPAM)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["by"] == "platform:blog" and body["state"] == "rejected"
    assert (body["version"], body["repeated"], body["reason"]) == (1, False, "spam")
    item = await web.services.review.get("default:c1")
    assert item["state"] == "rejected" and item["claim"] is None and item["queue"] is None
    assert redis_client.zscore(keys.queue("hold"), "default:c1") is None
    assert outbox_size(redis_client) == before  # nothing to deliver back to the platform
    assert redis_client.llen(keys.outbox_chain("default:c1")) == 1  # still only `scored`
    late = await rita.post("/v1/comments/c1/decision", json={"decision": "approve"})
    assert late.status_code == 409  # the reviewer's item is closed


async def test_accepted_in_any_state(web: Web, redis_client):
    web.seeder.add("held", action="hold")
    web.seeder.add("passed", action="approve")
    web.seeder.add("sent-up", action="review")
    rita, blog = await web.bearer("reviewer", "rita"), await web.bearer("platform", "blog")
    await rita.post("/v1/comments/sent-up/decision", json={"decision": "escalate"})
    await rita.post("/v1/comments/held/decision", json={"decision": "reject"})
    accept = Seeder(redis_client)._accept  # received by the webhook, not scored yet
    accept(
        keys=[keys.comment("default:new"), keys.INGEST_STREAM],
        args=[json.dumps({"id": "new", "text": "hi", "site": "default"}), 1, "default:new", 10],
    )
    for comment_id, verdict, state in (
        ("held", "approve", "approved"),  # a rejected comment, approved on the platform
        ("passed", "reject", "rejected"),  # approved automatically, then marked spam
        ("sent-up", "reject", "rejected"),  # escalated
        ("new", "reject", "rejected"),  # not scored yet
    ):
        r = await blog.post(
            f"/v1/comments/{comment_id}/platform-decision", json={"decision": verdict}
        )
        assert (r.status_code, r.json()["state"]) == (200, state), (comment_id, r.text)
        assert (await web.services.review.get(f"default:{comment_id}"))["state"] == state
    assert redis_client.zcard(keys.queue("escalated")) == 0
    (late,) = web.seeder.consumer.read(1, None)  # the worker scores it afterwards:
    record = {"action": "hold", "priority": 0.9, "reasons": [], "model": {}, "matches": []}
    web.seeder.consumer.store(late, record, 1, 2)
    assert (await web.services.review.get("default:new"))["state"] == "rejected"  # not queued
    assert (
        redis_client.zcard(keys.queue("hold")) == 0 and redis_client.xlen(keys.INGEST_STREAM) == 0
    )


async def test_the_verdict_is_in_the_feed_the_audit_log_and_the_export(web: Web):
    web.seeder.add("c1", priority=0.9)
    blog, admin = await web.bearer("platform", "blog"), await web.bearer("admin", "ops")
    await blog.post("/v1/comments/c1/platform-decision", json=SPAM)
    events = (await blog.get("/v1/decisions")).json()["events"]
    assert [(e["event"], e.get("by")) for e in events] == [
        ("scored", None),
        ("decided", "platform:blog"),
    ]
    decided = events[-1]
    assert decided["decision"] == "reject" and decided["scores"]["toxicity"] == 0.9
    audit = (await admin.get("/v1/admin/audit", params={"reviewer": "platform:blog"})).json()
    (entry,) = audit["entries"]
    (labelled,) = await web.services.audit.with_comments([entry])
    exported = row(labelled)
    assert (exported["by"], exported["decision"], exported["reason"]) == (
        "platform:blog",
        "reject",
        "spam",
    )
    assert exported["text"] == "a comment" and exported["score_toxicity"] == 0.9


async def test_a_retried_verdict_changes_nothing(web: Web, redis_client):
    web.seeder.add("c1")
    blog = await web.bearer("platform", "blog")
    first = await blog.post("/v1/comments/c1/platform-decision", json=SPAM)
    again = await blog.post("/v1/comments/c1/platform-decision", json=SPAM)
    assert again.status_code == 200 and again.json()["repeated"] is True
    assert again.json()["version"] == first.json()["version"] == 1
    assert redis_client.xlen(keys.AUDIT_STREAM) == 1
    other = await blog.post("/v1/comments/c1/platform-decision", json={"decision": "approve"})
    assert other.json()["version"] == 2 and other.json()["state"] == "approved"


async def test_errors_are_problem_documents(web: Web):
    web.seeder.add("c1")
    blog = await web.bearer("platform", "blog")
    missing = await blog.post("/v1/comments/nope/platform-decision", json=SPAM)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    for bad in (
        {"decision": "escalate"},
        {"decision": "reject", "extra": 1},
        {},
        {"decision": "reject", "note": "\ud800"},  # a lone surrogate, escaped in the JSON
    ):
        raw = json.dumps(bad).encode()  # ensure_ascii: the surrogate travels as \ud800
        r = await blog.post(
            "/v1/comments/c1/platform-decision",
            content=raw,
            headers={"Content-Type": "application/json"},
        )
        assert r.status_code == 422, bad
        assert r.headers["content-type"] == "application/problem+json"
    wrong_site = await blog.post(
        "/v1/comments/c1/platform-decision", json=SPAM, params={"site": "bad site"}
    )
    assert wrong_site.status_code == 422
    assert (await web.services.review.get("default:c1"))["state"] == "queued"


async def test_the_openapi_entry_documents_every_answer(web: Web):
    operation = web.app.openapi()["paths"]["/v1/comments/{comment_id}/platform-decision"]["post"]
    answers = operation["responses"]
    assert {"200", "401", "403", "404", "409", "422", "503"} <= set(answers)
    for status in ("401", "403", "404", "409", "422", "503"):
        assert "application/problem+json" in answers[status]["content"], status
    assert operation["requestBody"]["required"] is True
