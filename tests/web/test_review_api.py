"""The review API in process on a real Redis: claims, decisions that respect them, views with
filters and cursors, counts, undo, bulk, notes and the item's context."""

from __future__ import annotations

import time

import pytest

from tests.web.conftest import Web, refs_of

pytestmark = pytest.mark.anyio
SLUR = {"term": "retard", "match": "retard", "category": "ableist", "severity": 3}


async def test_claims_hand_each_caller_different_comments_with_a_lease(web: Web):
    refs = [web.seeder.add(f"c{i}", priority=0.9 - i / 10) for i in range(5)]
    rita, bob = await web.bearer(name="rita"), await web.bearer(name="bob")
    before = int(time.time() * 1000)
    first = await rita.post("/v1/queue/hold/claim", params={"count": 3})
    assert first.status_code == 200, first.text
    assert refs_of(first) == refs[:3] and first.json()["lease_ms"] == 60_000
    for item in first.json()["items"]:
        assert item["claim"]["by"] == "rita"
        assert before + 59_000 <= item["claim"]["expires_at_ms"] <= before + 61_000 + 5000
    second = await bob.post("/v1/queue/hold/claim", params={"count": 3})
    assert refs_of(second) == refs[3:]
    again = await rita.post("/v1/queue/hold/claim", params={"count": 3})
    assert refs_of(again) == refs[:3]  # her own claims, renewed
    listing = await bob.get("/v1/queue", params={"queue": "hold"})
    holders = {i["ref"]: (i["claim"] or {}).get("by") for i in listing.json()["items"]}
    assert holders == {**dict.fromkeys(refs[:3], "rita"), **dict.fromkeys(refs[3:], "bob")}
    looked_up = await bob.get("/v1/claims", params={"ref": [refs[0], refs[4]]})
    assert {r: c["by"] for r, c in looked_up.json()["claims"].items()} == {
        refs[0]: "rita",
        refs[4]: "bob",
    }


async def test_deciding_or_releasing_someone_elses_claim_is_refused(web: Web):
    web.seeder.add("c1")
    rita, bob = await web.bearer(name="rita"), await web.bearer(name="bob")
    assert (await rita.post("/v1/claims/c1")).status_code == 200
    refused = await bob.post("/v1/comments/c1/decision", json={"decision": "reject"})
    assert refused.status_code == 409
    assert refused.json()["claimed_by"] == "rita" and "being reviewed by rita" in refused.text
    assert (await bob.post("/v1/claims/c1")).json()["claimed_by"] == "rita"
    assert (await bob.delete("/v1/claims/c1")).status_code == 409
    assert (await bob.delete("/v1/claims/c1", params={"force": True})).status_code == 403
    assert (await rita.delete("/v1/claims/c1")).status_code == 204
    assert (await rita.delete("/v1/claims/c1")).status_code == 404
    decided = await bob.post("/v1/comments/c1/decision", json={"decision": "reject"})
    assert decided.status_code == 200 and decided.json()["version"] == 1
    assert (await rita.post("/v1/claims/c1")).status_code == 409  # decided: nothing to claim
    assert (await rita.post("/v1/claims/nope")).status_code == 404


async def test_views_filter_order_and_page_by_cursor(web: Web):
    base = int(time.time() * 1000) - 100_000
    web.seeder.add("a", site="blog", language="en", priority=0.9, received_ms=base + 3)
    web.seeder.add(
        "b",
        site="blog",
        language="es",
        priority=0.4,
        received_ms=base + 1,
        matches=[{**SLUR, "start": 0, "end": 1}],
    )
    web.seeder.add(
        "c",
        site="news",
        language="es",
        priority=0.7,
        received_ms=base + 2,
        thread=("t9", "T", None),
    )
    api = await web.bearer()

    async def ids(**params: object) -> list[str]:
        r = await api.get("/v1/queue", params={"queue": "hold", **params})
        assert r.status_code == 200, r.text
        return [i["comment"]["id"] for i in r.json()["items"]]

    assert await ids() == ["a", "c", "b"]
    assert await ids(order="oldest") == ["b", "c", "a"]
    assert await ids(site="blog") == ["a", "b"]
    assert await ids(language="es", order="oldest") == ["b", "c"]
    assert await ids(category="ableist") == ["b"]
    assert await ids(site="news", thread="t9") == ["c"]
    assert await ids(site="blog", language="es") == ["b"]
    pages, cursor = [], None
    while True:
        r = await api.get("/v1/queue", params={"queue": "hold", "limit": 1, "cursor": cursor or ""})
        pages += [i["comment"]["id"] for i in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if not cursor:
            break
    assert pages == ["a", "c", "b"]
    assert (await api.get("/v1/queue", params={"cursor": "bm90IG1pbmU"})).status_code == 422
    assert (await api.get("/v1/queue", params={"site": "a:b"})).status_code == 422
    counts = (await api.get("/v1/counts", params={"since_ms": base + 1})).json()["queues"]
    assert counts["hold"]["count"] == 3 and counts["hold"]["new"] == 2
    assert counts["hold"]["oldest_ms"] == base + 1


async def test_undo_bulk_and_recently_decided(web: Web):
    refs = [web.seeder.add(f"c{i}", priority=p) for i, p in enumerate((0.95, 0.9, 0.85, 0.3))]
    rita, bob = await web.bearer(name="rita"), await web.bearer(name="bob")
    assert (await bob.post("/v1/claims/c1")).status_code == 200
    bulk = await rita.post(
        "/v1/bulk",
        json={
            "decision": "reject",
            "reason": "spam",
            "scope": {"queue": "hold", "min_priority": 0.8},
        },
    )
    assert bulk.status_code == 200, bulk.text
    body = bulk.json()
    assert sorted(d["ref"] for d in body["decided"]) == [refs[0], refs[2]]
    assert body["skipped"] == [{"ref": None, "detail": "1 more held by other reviewers."}]
    recent = await rita.get("/v1/queue", params={"queue": "recent"})
    assert {i["ref"] for i in recent.json()["items"]} == {refs[0], refs[2]}
    items = [{"id": d["ref"].split(":", 1)[1], "version": d["version"]} for d in body["decided"]]
    not_hers = await bob.post("/v1/undo", json={"items": items})
    assert not_hers.json()["undone"] == [] and len(not_hers.json()["failed"]) == 2
    undone = await rita.post("/v1/undo", json={"items": items})
    assert sorted(u["ref"] for u in undone.json()["undone"]) == [refs[0], refs[2]]
    queue = await rita.get("/v1/queue", params={"queue": "hold"})
    assert refs_of(queue) == refs  # all four back, in their old order
    listed = await rita.post(
        "/v1/bulk", json={"decision": "approve", "items": [{"id": "c3"}, {"id": "c1"}]}
    )
    assert [d["ref"] for d in listed.json()["decided"]] == [refs[3]]
    assert listed.json()["skipped"][0]["claimed_by"] == "bob"


async def test_item_context_parent_author_history_notes_and_decisions(web: Web):
    seed = web.seeder.add
    seed("p1", "the parent comment", site="blog", author=("u2", "Bo"))
    seed("old", "an earlier one", site="blog", author=("u1", "Ana"))
    seed("c1", "the reply", site="blog", author=("u1", "Ana"), parent_id="p1")
    api = await web.bearer(role="admin", name="ada")
    await api.post(
        "/v1/comments/old/decision", params={"site": "blog"}, json={"decision": "reject"}
    )
    note = await api.post(
        "/v1/comments/c1/notes", params={"site": "blog"}, json={"text": "seen it"}
    )
    assert note.status_code == 200
    await api.post(
        "/v1/comments/c1/decision", params={"site": "blog"}, json={"decision": "escalate"}
    )
    r = await api.get("/v1/comments/c1/context", params={"site": "blog"})
    assert r.status_code == 200, r.text
    ctx = r.json()
    assert ctx["parent"]["comment"]["text"] == "the parent comment"
    assert ctx["author"]["counts"] == {"rejected": 1, "escalated": 1}
    assert [(h["comment"]["id"], h["state"]) for h in ctx["author"]["recent"]] == [
        ("old", "rejected")
    ]
    assert [n["text"] for n in ctx["notes"]] == ["seen it"]
    assert [(d["decision"], d["version"], d["by"]) for d in ctx["decisions"]] == [
        ("escalate", 1, "ada")
    ]


async def test_the_escalated_queue_is_for_admins(web: Web):
    web.seeder.add("c1")
    reviewer, admin = await web.bearer(name="rita"), await web.bearer("admin", "ada")
    await reviewer.post("/v1/comments/c1/decision", json={"decision": "escalate"})
    assert (await reviewer.get("/v1/queue", params={"queue": "escalated"})).status_code == 403
    assert (await reviewer.post("/v1/queue/escalated/claim")).status_code == 403
    assert (await reviewer.post("/v1/claims/c1")).status_code == 403
    refused = await reviewer.post("/v1/comments/c1/decision", json={"decision": "approve"})
    assert refused.status_code == 403
    claimed = await admin.post("/v1/queue/escalated/claim")
    assert refs_of(claimed) == ["default:c1"]
    done = await admin.post("/v1/comments/c1/decision", json={"decision": "approve"})
    assert done.status_code == 200 and done.json()["version"] == 2


async def test_a_session_needs_the_csrf_header_on_json_calls(web: Web):
    web.seeder.add("c1")
    browser = await web.session("rita")
    for method, url, body in (
        ("POST", "/v1/comments/c1/decision", {"decision": "approve"}),
        ("POST", "/v1/claims/c1", None),
        ("POST", "/v1/bulk", {"decision": "approve", "items": [{"id": "c1"}]}),
        ("POST", "/v1/undo", {"items": [{"id": "c1", "version": 1}]}),
        ("DELETE", "/v1/claims/c1", None),
    ):
        for header in ({}, {"X-CSRF-Token": "forged"}):
            r = await browser.request(method, url, json=body, headers=header)
            assert r.status_code == 403, (method, url, header)
    assert (await browser.get("/v1/counts")).status_code == 200  # reads need none
    ok = await browser.post(
        "/v1/comments/c1/decision",
        json={"decision": "approve"},
        headers={"X-CSRF-Token": browser.csrf},  # type: ignore[attr-defined]
    )
    assert ok.status_code == 200 and ok.json()["by"] == "rita"
