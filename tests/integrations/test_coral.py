"""Coral Talk end to end against a live moderator (uvicorn, worker, Redis) and a local stand-in
of Coral's GraphQL API built from its source (tests/fixtures/coral/README.md): the moderation
phase answers from the lexicon and the policy and queues the comment; the webhook links Coral's
comment id to it; decisions go back by approveComment / rejectComment."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from moderator import keys
from moderator.integrations.coral import digest
from tests.e2e.harness import live_moderator
from tests.fixtures.coral.standin import (
    coral_body,
    coral_standin,
    entered,
    phase_request,
    signature,
)

SECRET = "coral-phase-secret-0123456789abcdef"
ROTATING = "coral-next-secret-0123456789abcdef"
TOKEN = "coral-api-token-0123456789abcdef"
RETARD = "<p>Listen to what the retard Freddy has to say about him</p>"


@pytest.fixture
def talk_live(make_settings, redis_client, offline_service):
    with coral_standin(TOKEN) as talk:
        site = {
            "platform": "coral",
            "webhook_secret": SECRET,
            "webhook_secrets_old": [ROTATING],
            "api_url": talk.url,
            "api_key": TOKEN,
        }
        settings = make_settings(
            callback={"backoff_base_s": 0.05, "backoff_max_s": 0.2}, sites={"talk": site}
        )
        with live_moderator(settings, offline_service) as live:
            yield live, talk


def send(live, path: str, data: dict | bytes, secrets=(SECRET,), **headers: str):
    body = data if isinstance(data, bytes) else coral_body(data)
    sent = {"Content-Type": "application/json", "X-Coral-Signature": signature(list(secrets), body)}
    return httpx.post(
        f"{live.url}/v1/integrations/coral/{path}",
        content=body,
        headers={**sent, **headers},
        timeout=30,
    )


def our_id(request: dict) -> str:
    return digest(
        request["tenantID"],
        request["site"]["id"],
        request["story"]["id"],
        request["author"]["id"],
        request["comment"]["body"],
    )


def get(live, token: dict, comment_id: str) -> httpx.Response:
    return httpx.get(f"{live.url}/v1/comments/{comment_id}", params={"site": "talk"}, headers=token)


def test_phase_withholds_then_a_reviewer_rejects_through_graphql(talk_live):
    live, talk = talk_live
    clean = phase_request()
    assert send(live, "phase", clean).status_code == 204
    toxic = phase_request(comment={"body": RETARD})
    r = send(live, "phase", toxic)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "status": "SYSTEM_WITHHELD",
        "actions": [{"actionType": "FLAG", "reason": "COMMENT_DETECTED_TOXIC"}],
    }
    token = {"Authorization": f"Bearer {live.token()}"}
    held = live.wait_for(lambda: get(live, token, our_id(toxic)).json().get("record"))
    assert held["action"] == "hold"
    item = get(live, token, our_id(toxic)).json()
    assert item["comment"]["thread"]["url"] == "https://news.example.org/2026/11/a-story"
    assert "<p>" not in item["comment"]["text"]
    talk.add("coral-1", toxic)
    r = send(
        live, "webhook", entered("coral-1"), **{"X-Coral-Event": "COMMENT_ENTERED_MODERATION_QUEUE"}
    )
    assert r.status_code == 200, r.text
    assert r.json()["id"] == our_id(toxic) and r.json()["coral_id"] == "coral-1"
    r = httpx.post(
        f"{live.url}/v1/comments/{our_id(toxic)}/decision",
        params={"site": "talk"},
        json={"decision": "reject", "reason": "hate speech"},
        headers=token,
    )
    assert r.status_code == 200, r.text
    live.wait_for(lambda: talk.comments["coral-1"]["status"] == "REJECTED")
    (mutation,) = talk.mutations
    assert mutation["commentRevisionID"] == "coral-1-rev-1"
    assert mutation["reason"] == {"code": "HATE_SPEECH"}


def test_a_decision_before_the_link_waits_for_the_webhook(talk_live, redis_client):
    live, talk = talk_live
    request = phase_request(comment={"body": RETARD + "<p>twice</p>"})
    assert send(live, "phase", request).status_code == 200
    token = {"Authorization": f"Bearer {live.token()}"}
    live.wait_for(lambda: get(live, token, our_id(request)).json().get("record"))
    r = httpx.post(
        f"{live.url}/v1/comments/{our_id(request)}/decision",
        params={"site": "talk"},
        json={"decision": "approve"},
        headers=token,
    )
    assert r.status_code == 200, r.text
    errors = lambda: " ".join(redis_client.hvals(keys.OUTBOX_ERRORS))  # noqa: E731
    live.wait_for(lambda: "Coral has not named this comment yet" in errors())
    assert talk.mutations == []  # not linked yet: the delivery is retried
    talk.add("coral-2", request)
    assert send(live, "webhook", entered("coral-2")).json()["status"] == "linked"
    live.wait_for(lambda: talk.comments["coral-2"]["status"] == "APPROVED")


def test_the_webhook_queues_a_comment_the_phase_never_saw(talk_live):
    live, talk = talk_live
    request = phase_request(comment={"body": RETARD + "<p>again</p>"}, author={"id": "user-9"})
    talk.add("coral-3", request)
    r = send(live, "webhook", entered("coral-3"))
    assert r.status_code == 200 and r.json()["id"] == our_id(request)
    token = {"Authorization": f"Bearer {live.token()}"}
    live.wait_for(lambda: get(live, token, our_id(request)).json().get("record"))
    unknown = send(live, "webhook", entered("not-in-coral"))
    assert unknown.status_code == 503 and "not-in-coral" in unknown.json()["detail"]
    other = send(live, "webhook", entered("coral-3", "COMMENT_REACTION_CREATED"))
    assert other.status_code == 200 and other.json()["status"] == "ignored"


def test_signatures_good_bad_rotated_malformed(talk_live):
    live, _ = talk_live
    body = coral_body(phase_request())
    assert send(live, "phase", body, secrets=("nobody-knows-this-secret-0123",)).status_code == 401
    assert (
        send(live, "phase", body, secrets=("nobody-knows-this-0123456", ROTATING)).status_code
        == 204
    )
    assert (
        send(live, "phase", body, secrets=(SECRET, "another-new-secret-01234567")).status_code
        == 204
    )
    for header in (
        "",
        "sha256=",
        "sha1=abc",
        "sha256=" + "g" * 64,
        ",".join(["sha256=" + "0" * 64] * 9),
    ):
        r = httpx.post(
            f"{live.url}/v1/integrations/coral/phase",
            content=body,
            headers={"Content-Type": "application/json", "X-Coral-Signature": header},
        )
        assert r.status_code == 401, header
        assert r.headers["content-type"] == "application/problem+json"
    tampered = body.replace(b"Hello", b"HELLO")
    r = httpx.post(
        f"{live.url}/v1/integrations/coral/phase",
        content=tampered,
        headers={
            "Content-Type": "application/json",
            "X-Coral-Signature": signature([SECRET], body),
        },
    )
    assert r.status_code == 401


def test_hostile_phase_requests(talk_live):
    live, _ = talk_live
    long = phase_request(comment={"body": "<p>" + "a" * 19_993 + "</p>"})
    assert send(live, "phase", long).status_code == 204
    too_long = phase_request(comment={"body": "b" * 20_001})
    r = send(live, "phase", too_long)  # as the webhook: over webhook.max_text_chars
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "text"
    assert send(live, "phase", b'{"action": "NEW", "comment": {"body": "\xff"}}').status_code == 400
    assert send(live, "phase", b'{"action": ').status_code == 400
    r = send(live, "phase", phase_request(action="DELETE", comment={"body": 5}))
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"action", "comment.body"}
    unknown = phase_request(brandNew={"x": 1}, comment={"body": "hi", "media": None})
    assert send(live, "phase", unknown).status_code == 204

    def one(n: int) -> int:
        request = phase_request(comment={"body": f"<p>comment number {n}</p>"})
        return send(live, "phase", request).status_code

    with ThreadPoolExecutor(30) as pool:
        assert list(pool.map(one, range(30))) == [204] * 30
    assert json.loads(coral_body({"a": 1})) == {"a": 1}


def test_hostile_webhooks(talk_live):
    live, talk = talk_live
    long = phase_request(comment={"body": "<p>" + "w" * 19_993 + "</p>"}, author={"id": "long"})
    talk.add("coral-long", long)
    r = send(live, "webhook", entered("coral-long"))
    assert r.status_code == 200 and r.json()["id"] == our_id(long)
    body = coral_body(entered("coral-long"))
    assert (
        send(live, "webhook", body, secrets=("someone-else-secret-0123456789",)).status_code == 401
    )
    assert (
        send(
            live, "webhook", b'{"type": "COMMENT_ENTERED_MODERATION_QUEUE", "\xff": 1}'
        ).status_code
        == 400
    )
    assert send(live, "webhook", b'{"type": ').status_code == 400
    missing = entered("x")
    del missing["data"]["commentID"]
    r = send(live, "webhook", missing)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "data.commentID"
    extra = entered("coral-long")
    extra["brandNew"], extra["data"]["alsoNew"] = 1, [1]
    assert send(live, "webhook", extra).status_code == 200
    for n in range(30):
        talk.add(f"coral-p{n}", phase_request(comment={"body": f"<p>parallel {n}</p>"}))

    def one(n: int) -> int:
        return send(live, "webhook", entered(f"coral-p{n}")).status_code

    with ThreadPoolExecutor(30) as pool:
        assert list(pool.map(one, range(30))) == [200] * 30
