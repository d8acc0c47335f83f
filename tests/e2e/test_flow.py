"""The whole path over HTTP: signed webhook → Redis → worker (real models) → queue → reviewer
decision → signed callback received by a real HTTP server, and the pull feed."""

from __future__ import annotations

import hmac
import time

import httpx
import pytest

from moderator.core.scoring import ScoringService
from moderator.core.signing import HEADER, verify
from moderator.errors import AuthError
from tests.conftest import CALLBACK_SECRET, WEBHOOK_SECRET
from tests.e2e.harness import callback_server, live_moderator
from tests.offline import offline_service

RETARD = "Listen to what the retard Freddy has to say about him"
RAID = "The police raid on the village was reported on the evening news."


@pytest.fixture(scope="module", name="offline_service")
def offline_service_fixture() -> ScoringService:
    return offline_service()


def test_webhook_to_decision_to_callback(make_settings, redis_client, offline_service):
    with callback_server() as platform:
        settings = make_settings(
            callback={"url": platform.url, "backoff_base_s": 0.05, "backoff_max_s": 0.2}
        )
        with live_moderator(settings, offline_service) as live:
            assert live.post({"id": "c1", "text": RETARD, "site": "blog"}).status_code == 202
            assert live.post({"id": "c2", "text": RAID, "site": "blog"}).status_code == 202
            auth = {"Authorization": f"Bearer {live.token()}"}

            def queued() -> list:
                items = []
                for q in ("hold", "review"):
                    r = httpx.get(f"{live.url}/v1/queue", params={"queue": q}, headers=auth)
                    items += r.json()["items"]
                return items

            (item,) = live.wait_for(queued)
            record = item["record"]
            assert item["comment"]["id"] == "c1"
            span = next(m for m in record["matches"] if m["term"].startswith("retard"))
            assert RETARD[span["start"] : span["end"]] == "retard"
            assert any("retard" in r for r in record["reasons"])
            clean = live.wait_for(lambda: _scored(live.url, auth, "c2"))
            assert clean["state"] == "approved"
            assert clean["priority"] < item["priority"]

            decision = httpx.post(
                f"{live.url}/v1/comments/c1/decision",
                params={"site": "blog"},
                json={"decision": "reject", "reason": "hate speech"},
                headers=auth,
            )
            assert decision.status_code == 200, decision.text
            again = httpx.post(
                f"{live.url}/v1/comments/c1/decision",
                params={"site": "blog"},
                json={"decision": "approve"},
                headers=auth,
            )
            assert again.status_code == 409

            delivered = live.wait_for(
                lambda: [c for c in platform.received if c["json"]["event"] == "decided"]
            )
            platform_auth = {"Authorization": f"Bearer {live.token('platform', 'blog')}"}
            feed = httpx.get(f"{live.url}/v1/decisions", headers=platform_auth).json()

    (call,) = delivered
    signature = call["headers"][HEADER]
    verify(CALLBACK_SECRET, signature, call["body"], now=time.time(), tolerance_s=60)
    with pytest.raises(AuthError):  # its own secret: the webhook's cannot forge a decision
        verify(WEBHOOK_SECRET, signature, call["body"], now=time.time(), tolerance_s=60)
    assert call["json"]["decision"] == "reject" and call["json"]["by"] == "alice"
    assert call["json"]["id"] == "c1" and call["json"]["site"] == "blog"
    assert hmac.compare_digest(call["headers"]["Idempotency-Key"], call["json"]["cursor"])
    decided = [e for e in feed["events"] if e["event"] == "decided"]
    assert [(e["id"], e["decision"], e["by"], e["reason"]) for e in decided] == [
        ("c1", "reject", "alice", "hate speech")
    ]
    assert {e["id"] for e in feed["events"] if e["event"] == "scored"} == {"c1", "c2"}


def _scored(url: str, auth: dict, comment_id: str) -> dict | None:
    r = httpx.get(f"{url}/v1/comments/{comment_id}", params={"site": "blog"}, headers=auth)
    body = r.json()
    return body if r.status_code == 200 and body["state"] != "received" else None


def test_failing_callback_endpoint_neither_loses_nor_blocks(
    make_settings, redis_client, offline_service
):
    with callback_server() as platform:
        platform.down.set()
        settings = make_settings(
            callback={"url": platform.url, "backoff_base_s": 0.05, "backoff_max_s": 0.2}
        )
        with live_moderator(settings, offline_service) as live:
            auth = {"Authorization": f"Bearer {live.token()}"}
            for i in range(3):
                assert live.post({"id": f"c{i}", "text": f"{RETARD} {i}"}).status_code == 202
            live.wait_for(
                lambda: (
                    len(httpx.get(f"{live.url}/v1/queue?queue=hold", headers=auth).json()["items"])
                    == 3
                )
            )
            for i in range(3):  # decisions go through while the endpoint fails
                r = httpx.post(
                    f"{live.url}/v1/comments/c{i}/decision",
                    json={"decision": "approve"},
                    headers=auth,
                )
                assert r.status_code == 200
            live.wait_for(lambda: platform.attempts >= 6)
            assert platform.received == []
            platform.down.clear()
            live.wait_for(
                lambda: len([c for c in platform.received if c["json"]["event"] == "decided"]) == 3
            )
            time.sleep(0.5)
    keys_seen = [c["headers"]["Idempotency-Key"] for c in platform.received]
    assert len(keys_seen) == len(set(keys_seen)) == 6  # 3 scored + 3 decided, each once


def test_review_api_requires_a_valid_token(make_settings, redis_client, offline_service):
    with live_moderator(make_settings(), offline_service) as live:
        assert httpx.get(f"{live.url}/v1/queue").status_code == 401
        bad = httpx.get(f"{live.url}/v1/queue", headers={"Authorization": "Bearer nope"})
        assert bad.status_code == 401
        assert bad.headers["content-type"] == "application/problem+json"
        health = httpx.get(f"{live.url}/healthz").json()
        assert health["model"]["name"] == "alt-profanity-check" and health["model"]["fallback"]
        assert "offline fallback" in health["warning"]
