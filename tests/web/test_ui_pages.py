"""The UI without script (plain forms and links), in process on a real Redis: login limits,
decide and undo, the item card (claim on open, highlights, context), next, bulk, admin pages."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.web.conftest import PASSWORD, Web, login

pytestmark = pytest.mark.anyio
SLUR = {"term": "retard", "match": "retard", "category": "ableist", "severity": 3}
TEXT = "He is a retard. The rest is fine."


async def test_failed_logins_are_rate_limited_per_account(web: Web):
    await web.services.auth.add_user("rita", PASSWORD, "reviewer")
    c = web.client()
    for _ in range(3):
        assert (await login(c, "rita", "wrong password")).status_code == 401
    limited = await login(c, "rita", PASSWORD)  # even the right password, for now
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
    assert "Too many failed logins" in limited.text
    assert "moderator_session" not in c.cookies
    other = await login(web.client(), "nobody", "x")  # the address has 2 failures left
    assert other.status_code == 401


async def test_failed_logins_are_rate_limited_per_address(web: Web):
    await web.services.auth.add_user("rita", PASSWORD, "reviewer")
    c = web.client()
    for name in ("a", "b", "c", "d", "e"):
        assert (await login(c, name, "wrong password")).status_code == 401
    assert (await login(c, "rita", PASSWORD)).status_code == 429


async def test_decide_by_form_then_undo_by_form(web: Web):
    ref = web.seeder.add("c1", TEXT)
    c = await web.session("rita")
    decided = await c.post(
        "/ui/decision",
        data={
            "site": "default",
            "id": "c1",
            "decision": "reject",
            "reason": "harassment",
            "back": "queue=hold&order=oldest&evil=https://x",
            "csrf": c.csrf,
        },
    )
    assert decided.status_code == 303
    target = urlsplit(decided.headers["location"])
    assert target.path == "/ui/queue"
    params = parse_qs(target.query)
    assert params["order"] == ["oldest"] and "evil" not in params
    assert params["notice"] == ["rejected"] and params["undo_v"] == ["1"]
    page = await c.get(decided.headers["location"])
    assert "Comment rejected." in page.text and 'action="/ui/undo"' in page.text
    item = await web.services.review.get(ref)
    assert item["decision"]["reason"] == "harassment"
    bob = await web.session("bob")
    bob_page = await bob.get(decided.headers["location"])  # a link cannot offer bob the undo
    assert 'action="/ui/undo"' not in bob_page.text
    undone = await c.post(
        "/ui/undo", data={"site": "default", "id": "c1", "version": "1", "csrf": c.csrf}
    )
    assert parse_qs(urlsplit(undone.headers["location"]).query)["notice"] == ["undone"]
    assert (await web.services.review.get(ref))["state"] == "queued"
    missing = await c.post(
        "/ui/decision", data={"site": "default", "id": "c1", "decision": "approve"}
    )
    assert missing.status_code == 403  # no CSRF token


async def test_opening_a_card_shows_its_context_and_only_a_post_claims_it(web: Web):
    """Issue 8 item 5: a GET never claims (a cross-site <img> could send one); the card's
    "Review this" form (POST + CSRF) does, as the page's script does through the API."""
    web.seeder.add("p1", "the parent said this", author=("u2", "Bo"))
    web.seeder.add("h1", "an older comment", author=("u1", "Ana"))
    spans = [{"start": 0, "end": 15, "label": "insult", "score": 0.93}]
    web.seeder.add(
        "c1",
        TEXT,
        author=("u1", "Ana"),
        parent_id="p1",
        thread=("t1", "Raid thread", "https://blog.example/t1"),
        matches=[{**SLUR, "start": 8, "end": 14}],
        spans=spans,
    )
    rita = await web.session("rita")
    page = await rita.get("/ui/item", params={"site": "default", "id": "c1", "queue": "hold"})
    assert page.status_code == 200
    html = page.text
    worst = re.search(
        r'<span class="worst" title="worst sentence · insult 0.93">(.*?)</span>', html
    )
    assert worst and "<mark" in worst.group(1) and "retard</mark>" in worst.group(1)
    assert "the parent said this" in html and "an older comment" in html
    assert "Raid thread" in html and 'href="https://blog.example/t1"' in html
    assert "Being reviewed by" not in html and "yours" not in html
    assert "policy test-policy-1" in html
    assert (await web.services.review.get("default:c1"))["claim"] is None
    form = {"site": "default", "id": "c1", "back": "queue=hold"}
    assert (await rita.post("/ui/claim", data=form)).status_code == 403  # no CSRF token
    claimed = await rita.post("/ui/claim", data={**form, "csrf": rita.csrf})
    assert parse_qs(urlsplit(claimed.headers["location"]).query)["notice"] == ["claimed-now"]
    assert (await web.services.review.get("default:c1"))["claim"]["by"] == "rita"
    assert "yours" in (await rita.get(claimed.headers["location"])).text
    bob = await web.session("bob")
    theirs = await bob.get("/ui/item", params={"site": "default", "id": "c1"})
    assert "Being reviewed by rita." in theirs.text
    refused = await bob.post(
        "/ui/decision",
        data={"site": "default", "id": "c1", "decision": "approve", "csrf": bob.csrf},
    )
    assert parse_qs(urlsplit(refused.headers["location"]).query)["notice"] == ["claimed"]


async def test_next_claims_the_next_free_comment_and_ends_on_the_queue(web: Web):
    for i, p in enumerate((0.9, 0.8, 0.7)):
        web.seeder.add(f"c{i}", priority=p)
    rita, bob = await web.session("rita"), await web.session("bob")
    await bob.post("/ui/claim", data={"id": "c1", "site": "default", "csrf": bob.csrf})

    async def next_(**fields: str) -> Any:
        return await rita.post("/ui/next", data={"back": "queue=hold", "csrf": rita.csrf, **fields})

    assert (await rita.get("/ui/next", params={"queue": "hold"})).status_code == 405
    assert (await rita.post("/ui/next", data={"back": "queue=hold"})).status_code == 403
    first = await next_()
    assert parse_qs(urlsplit(first.headers["location"]).query)["id"] == ["c0"]
    decided = await rita.post(
        "/ui/decision",
        data={
            "site": "default",
            "id": "c0",
            "decision": "approve",
            "next": "1",
            "back": "queue=hold",
            "csrf": rita.csrf,
        },
    )
    assert parse_qs(urlsplit(decided.headers["location"]).query)["id"] == ["c2"]  # c1 skipped
    skipped = await next_(after_id="c2", release="1")
    assert skipped.headers["location"].startswith("/ui/item")  # wraps round to c2 itself
    assert (await web.services.review.get("default:c2"))["claim"]["by"] == "rita"
    await rita.post(
        "/ui/decision",
        data={"site": "default", "id": "c2", "decision": "approve", "csrf": rita.csrf},
    )
    done = await next_(after_id="c2")
    assert done.headers["location"].endswith("notice=empty")


async def test_bulk_forms_decide_ticked_or_everything_above_a_score(web: Web):
    refs = [web.seeder.add(f"c{i}", priority=p) for i, p in enumerate((0.9, 0.85, 0.5, 0.4))]
    rita = await web.session("rita")
    ticked = await rita.post(
        "/ui/bulk",
        data={
            "decision": "approve",
            "ref": [refs[2], refs[3]],
            "back": "queue=hold",
            "csrf": rita.csrf,
        },
    )
    assert parse_qs(urlsplit(ticked.headers["location"]).query)["n"] == ["2"]
    above = await rita.post(
        "/ui/bulk",
        data={
            "decision": "reject",
            "reason": "spam",
            "min_priority": "0.8",
            "back": "queue=hold",
            "csrf": rita.csrf,
        },
    )
    query = parse_qs(urlsplit(above.headers["location"]).query)
    assert (query["n"], query["skipped"]) == (["2"], ["0"])
    states = [(await web.services.review.get(r))["state"] for r in refs]
    assert states == ["rejected", "rejected", "approved", "approved"]
    assert (await web.services.review.get(refs[0]))["decision"]["reason"] == "spam"


async def test_admin_pages_for_admins_only_and_their_forms(web: Web):
    rita = await web.session("rita")
    ada = await web.session("ada", role="admin")
    for path in ("/ui/admin/users", "/ui/admin/audit", "/ui/admin/dead"):
        assert (await rita.get(path)).status_code == 403, path
        assert (await ada.get(path)).status_code == 200, path
    assert (await rita.get("/ui/queue", params={"queue": "escalated"})).status_code == 403
    refused = await rita.post(
        "/ui/admin/users", data={"name": "eve", "password": PASSWORD, "csrf": rita.csrf}
    )
    assert refused.status_code == 403
    added = await ada.post(
        "/ui/admin/users",
        data={"name": "eve", "password": PASSWORD, "role": "reviewer", "csrf": ada.csrf},
    )
    assert added.headers["location"].endswith("notice=added")
    no_token = await ada.post("/ui/admin/users/update", data={"name": "eve", "disabled": "1"})
    assert no_token.status_code == 403
    await ada.post(
        "/ui/admin/users/update", data={"name": "eve", "disabled": "1", "csrf": ada.csrf}
    )
    await ada.post(
        "/ui/admin/users/update", data={"name": "rita", "role": "admin", "csrf": ada.csrf}
    )
    users = {u["name"]: u for u in await web.services.auth.list_users()}
    assert users["eve"]["disabled"] and users["rita"]["role"] == "admin"
    page = await ada.get("/ui/admin/users")
    assert '<td class="status">disabled</td>' in page.text
    bad_date = await ada.get("/ui/admin/audit", params={"since": "yesterday"})
    assert bad_date.status_code == 422


async def test_an_escalated_card_is_readable_by_reviewers_but_only_admins_work_it(web: Web):
    ref = web.seeder.add("c1", TEXT)
    rita, ada = await web.session("rita"), await web.session("ada", role="admin")
    await rita.post(
        "/v1/comments/c1/decision",
        json={"decision": "escalate"},
        headers={"X-CSRF-Token": rita.csrf},
    )
    page = await rita.get("/ui/item", params={"id": "c1"})
    assert page.status_code == 200 and TEXT in page.text
    assert 'action="/ui/decision"' not in page.text and 'action="/ui/claim"' not in page.text
    refused = await rita.post("/ui/claim", data={"id": "c1", "csrf": rita.csrf})
    assert parse_qs(urlsplit(refused.headers["location"]).query)["notice"] == ["forbidden"]
    assert (await web.services.review.get(ref))["claim"] is None
    admin_page = await ada.get("/ui/item", params={"id": "c1", "queue": "escalated"})
    assert 'action="/ui/decision"' in admin_page.text
    await ada.post("/ui/claim", data={"id": "c1", "csrf": ada.csrf})
    assert (await web.services.review.get(ref))["claim"]["by"] == "ada"


async def test_queue_cards_show_an_excerpt_and_the_card_the_whole_text(web: Web):
    """Issue 8 item 1: a 20,000-character comment is a bounded excerpt on the queue page (with
    a link to its card) and whole on its card."""
    text = "calm " * 2000 + "you retard " + "calm " * 2000
    at = text.index("retard")
    web.seeder.add("long", text, matches=[{**SLUR, "start": at, "end": at + 6}])
    rita = await web.session("rita")
    queue = (await rita.get("/ui/queue")).text
    shown = re.search(r'<p class="text">(.*?)</p>', queue, re.S)
    assert shown and "retard</mark>" in shown.group(1)
    assert len(re.sub(r"<[^>]+>", "", shown.group(1))) <= 620
    assert "An excerpt: 600 of 20011 characters." in queue
    card = (await rita.get("/ui/item", params={"id": "long"})).text
    assert text[:200] in card and text[-200:] in card and "An excerpt" not in card
