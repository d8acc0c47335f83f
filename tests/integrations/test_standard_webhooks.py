"""Standard Webhooks, per site, checked with the `standardwebhooks` library on the other side:
callbacks it verifies, and webhooks it signs that moderator accepts; bad, rotated, stale and
malformed signatures against a real server."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from standardwebhooks import Webhook

from tests.e2e.harness import callback_server, live_moderator

RETARD = "Listen to what the retard Freddy has to say about him"


def whsec() -> str:
    return "whsec_" + base64.b64encode(os.urandom(32)).decode()


CALLBACK = whsec()
INCOMING = whsec()
OLD = whsec()


@pytest.fixture
def live(make_settings, redis_client, offline_service):
    with callback_server() as platform:
        settings = make_settings(
            callback={"backoff_base_s": 0.05, "backoff_max_s": 0.2},
            sites={
                "shop": {
                    "callback_url": platform.url,
                    "callback_secret": CALLBACK,
                    "webhook_secret": INCOMING,
                    "webhook_secrets_old": [OLD],
                    "signing": "standard",
                }
            },
        )
        with live_moderator(settings, offline_service) as running:
            running.platform = platform  # type: ignore[attr-defined]
            yield running


def signed(secret: str, body: bytes, msg_id: str = "msg_1", when: datetime | None = None):
    when = when or datetime.now(tz=UTC)
    signature = Webhook(secret).sign(msg_id, when, body.decode())
    return {
        "Content-Type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": signature,
    }


def post(live, body: bytes, headers: dict) -> httpx.Response:
    return httpx.post(live.url + "/v1/comments", content=body, headers=headers, timeout=30)


def test_callbacks_verify_with_the_standardwebhooks_library(live):
    body = json.dumps({"id": "c1", "text": RETARD, "site": "shop"}).encode()
    assert post(live, body, signed(INCOMING, body)).status_code == 202
    (got,) = live.wait_for(lambda: live.platform.received)
    headers = got["headers"]
    payload = Webhook(CALLBACK).verify(got["body"], headers)
    assert payload["event"] == "scored" and payload["id"] == "c1"
    assert headers["webhook-id"].startswith("msg_") and "X-Moderator-Signature" not in headers
    with pytest.raises(Exception, match="No matching signature"):
        Webhook(whsec()).verify(got["body"], headers)


def test_webhooks_signed_by_the_library_are_accepted_and_bad_ones_refused(live):
    body = json.dumps({"id": "c2", "text": "hello there", "site": "shop"}).encode()
    assert post(live, body, signed(whsec(), body)).status_code == 401
    tampered = body.replace(b"hello", b"HELLO")
    assert post(live, tampered, signed(INCOMING, body)).status_code == 401
    stale = signed(INCOMING, body, when=datetime.now(tz=UTC) - timedelta(hours=1))
    r = post(live, body, stale)
    assert r.status_code == 401 and "away from now" in r.json()["detail"]
    for name, value in (
        ("webhook-signature", "v1"),
        ("webhook-signature", "v2,abc"),
        (
            "webhook-timestamp",
            "\uff11\uff12\uff13".encode(),
        ),  # non-ASCII digits, sent as UTF-8 bytes
        ("webhook-id", "a.b"),
    ):
        r = post(live, body, {**signed(INCOMING, body), name: value})
        assert r.status_code == 401, (name, value, r.text)
        assert r.headers["content-type"] == "application/problem+json"
    rotated = signed(OLD, body)
    rotated["webhook-signature"] += " " + signed(whsec(), body)["webhook-signature"]
    assert post(live, body, rotated).status_code == 202
    other_site = json.dumps({"id": "c3", "text": "hi", "site": "elsewhere"}).encode()
    r = post(live, other_site, signed(INCOMING, other_site))
    assert r.status_code == 403 and "shop" in r.json()["detail"]


def test_hostile_bodies_under_standard_signing(live):
    long = json.dumps({"id": "long", "text": "a" * 20_000, "site": "shop"}).encode()
    assert post(live, long, signed(INCOMING, long)).status_code == 202
    unknown = json.dumps({"id": "u", "text": "x", "site": "shop", "extra": 1}).encode()
    r = post(live, unknown, signed(INCOMING, unknown))
    assert r.status_code == 422 and "extra" in r.text
    bad_utf8 = b'{"id": "b", "text": "\xff\xfe", "site": "shop"}'
    headers = signed(INCOMING, b"placeholder")
    signed_bytes = f"msg_1.{headers['webhook-timestamp']}.".encode() + bad_utf8
    mac = hmac.new(base64.b64decode(INCOMING[6:]), signed_bytes, hashlib.sha256).digest()
    headers["webhook-signature"] = "v1," + base64.b64encode(mac).decode()
    assert post(live, bad_utf8, headers).status_code == 400
    broken = b'{"id": "j", "text": '
    assert post(live, broken, signed(INCOMING, broken)).status_code == 400

    def one(n: int) -> int:
        raw = json.dumps({"id": f"p{n}", "text": f"comment {n}", "site": "shop"}).encode()
        return post(live, raw, signed(INCOMING, raw, msg_id=f"msg_{n}")).status_code

    with ThreadPoolExecutor(30) as pool:
        assert list(pool.map(one, range(30))) == [202] * 30
