"""The admin API in process on a real Redis: reviewers get 403 everywhere; admins manage
accounts, search the audit log, and replay callback dead letters."""

from __future__ import annotations

import httpx
import pytest

from moderator.adapters.callbacks import OutboxDeliverer
from moderator.settings import CallbackSettings
from tests.web.conftest import PASSWORD, Web, login
from tests.web.seeding import Seeder

pytestmark = pytest.mark.anyio
ADMIN_CALLS = (
    ("GET", "/v1/admin/users", None),
    ("POST", "/v1/admin/users", {"name": "eve", "password": "password123"}),
    ("PATCH", "/v1/admin/users/rita", {"role": "admin"}),
    ("GET", "/v1/admin/audit", None),
    ("GET", "/v1/admin/dead-letters", None),
    ("POST", "/v1/admin/dead-letters/1-0/replay", None),
)


async def test_reviewers_get_403_and_strangers_401(web: Web):
    reviewer = await web.bearer("reviewer", "rita")
    stranger = web.client()
    for method, url, body in ADMIN_CALLS:
        assert (await reviewer.request(method, url, json=body)).status_code == 403, url
        assert (await stranger.request(method, url, json=body)).status_code == 401, url
    assert await web.services.auth.list_users() == []  # nothing was changed


async def test_admins_add_re_role_disable_and_enable_accounts(web: Web):
    await web.services.auth.add_user("ada", PASSWORD, "admin")
    admin = await web.bearer("admin", "ops")  # a service principal with the admin role
    added = await admin.post("/v1/admin/users", json={"name": "rita", "password": PASSWORD})
    assert added.status_code == 201 and added.json()["role"] == "reviewer"
    taken = await admin.post("/v1/admin/users", json={"name": "rita", "password": PASSWORD})
    assert taken.status_code == 409
    assert (
        await admin.post("/v1/admin/users", json={"name": "x", "password": "short"})
    ).status_code == 422
    rita = web.client()
    assert (await login(rita, "rita", PASSWORD)).status_code == 303
    assert (await rita.get("/ui/admin/users")).status_code == 403
    promoted = await admin.patch("/v1/admin/users/rita", json={"role": "admin"})
    assert promoted.json() == {"name": "rita", "role": "admin", "disabled": False}
    assert (await rita.get("/ui/admin/users")).status_code == 200  # at once, same session
    await admin.patch("/v1/admin/users/rita", json={"disabled": True})
    assert (await rita.get("/ui/queue")).headers["location"] == "/login"  # session is dead
    assert (await login(web.client(), "rita", PASSWORD)).status_code == 401
    await admin.patch("/v1/admin/users/rita", json={"disabled": False})
    await admin.patch("/v1/admin/users/ada", json={"role": "reviewer"})  # rita is an admin
    last = await admin.patch("/v1/admin/users/rita", json={"disabled": True})
    assert last.status_code == 409 and "last enabled admin" in last.json()["detail"]
    assert (await admin.patch("/v1/admin/users/nobody", json={"role": "admin"})).status_code == 404
    users = (await admin.get("/v1/admin/users")).json()["users"]
    assert users == [
        {"name": "ada", "role": "reviewer", "disabled": False},
        {"name": "rita", "role": "admin", "disabled": False},
    ]


async def test_audit_search_over_the_api(web: Web):
    for i in range(3):
        web.seeder.add(f"c{i}")
    rita, bob = await web.bearer(name="rita"), await web.bearer(name="bob")
    admin = await web.bearer("admin", "ada")
    await rita.post("/v1/comments/c0/decision", json={"decision": "reject", "reason": "spam"})
    await bob.post("/v1/comments/c1/decision", json={"decision": "approve"})
    await rita.post("/v1/comments/c2/decision", json={"decision": "escalate"})
    r = await admin.get("/v1/admin/audit", params={"reviewer": "rita"})
    assert [(e["id"], e["decision"]) for e in r.json()["entries"]] == [
        ("c2", "escalate"),
        ("c0", "reject"),
    ]
    entry = r.json()["entries"][1]
    assert entry["comment"]["text"] == "a comment" and entry["policy_version"] == "test-policy-1"
    r = await admin.get("/v1/admin/audit", params={"decision": "approve", "id": "c1"})
    assert [e["by"] for e in r.json()["entries"]] == ["bob"]


async def test_dead_letters_listed_and_replayed(web: Web, redis_client):
    Seeder(redis_client, deliver_callbacks=True).add("c1")
    admin = await web.bearer("admin", "ada")
    nowhere = CallbackSettings(url="http://127.0.0.1:9/hook", max_attempts=1, timeout_s=1)
    async with httpx.AsyncClient() as http:
        await OutboxDeliverer(web.services.redis, http, nowhere, "s" * 32).deliver_due()
    (letter,) = (await admin.get("/v1/admin/dead-letters")).json()["dead_letters"]
    assert letter["event"]["id"] == "c1" and letter["attempts"] == 1
    assert letter["comment"]["text"] == "a comment" and letter["error"]
    fid = letter["feed_id"]
    assert (await admin.post(f"/v1/admin/dead-letters/{fid}/replay")).status_code == 204
    assert (await admin.post(f"/v1/admin/dead-letters/{fid}/replay")).status_code == 404
    assert (await admin.get("/v1/admin/dead-letters")).json()["dead_letters"] == []
    assert await web.services.outbox.sizes() == (1, 0)  # due again


async def test_cursors_at_the_ends_of_the_streams_answer_empty_not_500(web: Web):
    web.seeder.add("c1")
    admin = await web.bearer("admin", "ada")
    await admin.post("/v1/comments/c1/decision", json={"decision": "approve"})
    top = "99999999999999999999-99999999999999999999"  # past 2^64: clamped
    for params in ({"before": "0-0"}, {"before": top}, {"since_ms": 2**62, "until_ms": 2**62}):
        r = await admin.get("/v1/admin/audit", params=params)
        assert r.status_code == 200, (params, r.text)
    assert (await admin.get("/v1/admin/audit", params={"before": top})).json()["entries"]
    last = "18446744073709551615-18446744073709551615"
    for after in (last, top):
        r = await admin.get("/v1/decisions", params={"after": after})
        assert r.status_code == 200 and r.json()["events"] == [], after
    bad = await admin.post("/v1/admin/users", json={"name": "a\u200bb", "password": PASSWORD})
    assert bad.status_code == 422
