"""Discourse end to end against a live moderator (uvicorn, worker, Redis) and a local stand-in of
Discourse's API built from its source (tests/fixtures/discourse/README.md): signed post webhooks
in, flags / hide / delete / recover / unhide out through the outbox."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.e2e.harness import live_moderator
from tests.fixtures.discourse.standin import discourse_standin, post_payload, webhook

SECRET = "discourse-webhook-secret-0123456789"
OTHER = "other-forum-webhook-secret-0123456789"
API_KEY = "discourse-api-key-0123456789abcdef"
RETARD = "Listen to what the retard Freddy has to say about him"
PATH = "/v1/integrations/discourse"


@pytest.fixture
def forum_live(make_settings, redis_client, offline_service):
    with discourse_standin(API_KEY) as forum:
        site = {
            "platform": "discourse",
            "webhook_secret": SECRET,
            "webhook_secrets_old": ["discourse-old-secret-0123456789abcd"],
            "api_url": forum.url,
            "api_key": API_KEY,
        }
        other = {**site, "webhook_secret": OTHER, "webhook_secrets_old": []}
        settings = make_settings(
            callback={"backoff_base_s": 0.05, "backoff_max_s": 0.2},
            sites={"forum": site, "other": other},
        )
        with live_moderator(settings, offline_service) as live:
            yield live, forum


def send(live, data: dict | bytes, secret: str = SECRET, event: str = "post_created", **kw):
    body = data if isinstance(data, bytes) else json.dumps(data).encode()
    headers = {**webhook(secret, body, event), **kw.pop("headers", {})}
    return httpx.post(live.url + PATH, content=body, headers=headers, timeout=30, **kw)


def test_a_held_post_is_hidden_then_deleted_and_an_approved_one_unhidden(forum_live):
    live, forum = forum_live
    forum.post(1234), forum.post(1235)
    r = send(live, post_payload(id=1234, raw=RETARD))
    assert r.status_code == 202, r.text
    assert r.json() == {"status": "accepted", "site": "forum", "id": "1234", "revision": 1}
    assert send(live, post_payload(id=1235, raw=RETARD + "!"), OTHER).json()["site"] == "other"
    live.wait_for(lambda: forum.posts[1234]["hidden"] and forum.posts[1235]["hidden"])
    assert forum.posts[1234]["flags"] == [4]
    token = {"Authorization": f"Bearer {live.token()}"}
    comment = httpx.get(f"{live.url}/v1/comments/1234", params={"site": "forum"}, headers=token)
    assert comment.json()["comment"]["thread"] == {
        "id": "77",
        "title": "Welcome to the forum",
        "url": f"{forum.url}/t/welcome-to-the-forum/77",
    }
    assert comment.json()["comment"]["author"] == {"id": "42", "name": "freddy"}
    for post, site, decision in (("1234", "forum", "reject"), ("1235", "other", "approve")):
        r = httpx.post(
            f"{live.url}/v1/comments/{post}/decision",
            params={"site": site},
            json={"decision": decision},
            headers=token,
        )
        assert r.status_code == 200, r.text
    live.wait_for(lambda: forum.posts[1234]["deleted"] and not forum.posts[1235]["hidden"])
    assert ("DELETE", "/posts/1234", {}) in forum.calls
    assert ("PUT", "/posts/1235/unhide", {}) in forum.calls


def test_a_refused_api_key_is_retried_until_discourse_takes_it(forum_live):
    live, forum = forum_live
    forum.api_key = "rotated-on-the-forum"
    assert send(live, post_payload(id=9, raw=RETARD)).status_code == 202
    live.wait_for(lambda: len(forum.calls) >= 2)  # refused, retried
    assert 9 not in forum.posts or not forum.posts[9]["hidden"]
    forum.api_key = API_KEY
    live.wait_for(lambda: forum.posts.get(9, {}).get("hidden"))


def test_an_edit_is_a_new_revision_and_other_events_are_ignored(forum_live):
    live, _ = forum_live
    assert send(live, post_payload(id=5, raw="first words")).status_code == 202
    again = send(live, post_payload(id=5, raw="first words"))
    assert again.status_code == 200
    edited = send(live, post_payload(id=5, raw="second words"), event="post_edited")
    assert edited.status_code == 202 and edited.json()["revision"] == 2
    ping = send(live, {"ping": "OK"}, event="ping")
    assert ping.status_code == 200 and ping.json()["status"] == "ignored"


def test_signatures_good_bad_rotated_malformed(forum_live):
    live, _ = forum_live
    data = post_payload(id=6, raw="hello")
    body = json.dumps(data).encode()
    assert send(live, body, "a-secret-nobody-configured-012345").status_code == 401
    good = webhook(SECRET, body)["X-Discourse-Event-Signature"]
    old = webhook("discourse-old-secret-0123456789abcd", body)["X-Discourse-Event-Signature"]
    wrong = webhook("wrong-0123456789abcdef0123456789", body)["X-Discourse-Event-Signature"]
    for header, status in (
        (f"{wrong},{good}", 202),
        (old, 200),
        ("sha1=" + "0" * 40, 401),
        ("sha256=xyz", 401),
        ("", 401),
        (",".join([wrong] * 9), 401),
    ):
        r = send(live, body, headers={"X-Discourse-Event-Signature": header})
        assert r.status_code == status, (header, r.text)
        if status == 401:
            assert r.headers["content-type"] == "application/problem+json"
    r = httpx.post(live.url + PATH, content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 401 and "X-Discourse-Event-Signature" in r.json()["detail"]


def test_hostile_bodies(forum_live):
    live, _ = forum_live
    assert send(live, post_payload(id=7, raw="x" * 20_000)).status_code == 202
    r = send(live, post_payload(id=8, raw="x" * 20_001))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "text"
    unknown = post_payload(id=10, raw="hi", brand_new_field={"a": 1})
    unknown["also_new"] = True
    assert send(live, unknown).status_code == 202
    assert send(live, b'{"post": {"id": 11, "raw": "\xff"}}').status_code == 400
    assert send(live, b'{"post": ').status_code == 400
    r = send(live, {"post": {"id": "12", "raw": 5}})
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"post.id", "post.raw"}
    r = send(live, post_payload(id=13, raw="a\ud800b"))
    assert r.status_code == 422

    def one(n: int) -> int:
        return send(live, post_payload(id=100 + n, raw=f"post {n}")).status_code

    with ThreadPoolExecutor(30) as pool:
        assert list(pool.map(one, range(30))) == [202] * 30


def test_a_dead_lettered_discourse_action_is_replayed(make_settings, redis_client, offline_service):
    with discourse_standin("the-key-discourse-has-0123456789ab") as forum:
        site = {
            "platform": "discourse",
            "webhook_secret": SECRET,
            "api_url": forum.url,
            "api_key": API_KEY,  # not the forum's: every call is refused
        }
        settings = make_settings(
            callback={"backoff_base_s": 0.05, "backoff_max_s": 0.1, "max_attempts": 2},
            sites={"forum": site},
        )
        with live_moderator(settings, offline_service) as live:
            assert send(live, post_payload(id=21, raw=RETARD)).status_code == 202
            admin = {"Authorization": f"Bearer {live.token('admin', 'ada')}"}
            url = f"{live.url}/v1/admin/dead-letters"

            def dead() -> list:
                return httpx.get(url, headers=admin).json()["dead_letters"]

            (letter,) = live.wait_for(dead)
            assert "HTTP 403" in letter["error"] and letter["attempts"] == 2
            forum.api_key = API_KEY
            replay = httpx.post(f"{url}/{letter['feed_id']}/replay", headers=admin)
            assert replay.status_code == 204
            live.wait_for(lambda: forum.posts.get(21, {}).get("hidden"))
            assert dead() == []
