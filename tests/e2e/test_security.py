"""The security suite in a real Chromium against a live moderator: every XSS payload as comment
text, author name, thread title, parent, author history, note and user name, rendered by the
item card and the admin pages (audit search, dead letters, users) with zero script executions;
JSON calls without the CSRF header refused; reviewers kept out of admin pages and APIs; cookie
flags, Secure and __Host- behind an HTTPS proxy. (The queue pages' XSS run is in
test_browser_ui.py.)

Run: python -m pytest tests/e2e/test_security.py -q   (needs /usr/bin/chromium)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from moderator import keys
from tests.e2e.browser import (  # noqa: F401 (the *_fixture names register fixtures)
    APP_PATHS,
    XSS_PAYLOADS,
    Watch,
    add_user,
    browser_fixture,
    context_fixture,
    login,
    off_loop,
    page_fixture,
)
from tests.e2e.harness import Live
from tests.e2e.live_app import PASSWORD, offline_service_fixture, post_and_wait, running  # noqa: F401

pytestmark = pytest.mark.browser
ADMIN = '"><img src=x onerror=window.__xss=1>'  # an admin whose name is a payload too
AUTHORS = 8


@pytest.fixture
def live(make_settings: Any, redis_client: Any, offline_service: Any) -> Iterator[Live]:
    nowhere = {
        "url": "http://127.0.0.1:9/hook",
        "max_attempts": 1,
        "backoff_base_s": 0.01,
        "backoff_max_s": 0.02,
        "timeout_s": 1,
    }
    with running(make_settings, offline_service, callback=nowhere) as app:
        add_user(app, ADMIN, PASSWORD, "admin")
        add_user(app, "rita", PASSWORD)
        yield app


def bodies() -> list[dict[str, Any]]:
    """One comment per payload, carrying it in its text, author name and thread title; each
    replies to the previous one, and eight authors share them (so histories fill up)."""
    out = []
    for n, payload in enumerate(XSS_PAYLOADS):
        body: dict[str, Any] = {
            "id": f"x{n}",
            "text": "retard " + payload,
            "author": {"id": f"a{n % AUTHORS}", "name": payload},
            "thread": {
                "id": f"t{n}",
                "title": payload,
                "url": "https://example.org/t?q=" + payload,
            },
        }
        if n:
            body["parent_id"] = f"x{n - 1}"
        out.append(body)
    return out


def poke(page: Any) -> None:
    """Give injected handlers every chance: hover, focus moves, a key."""
    page.mouse.move(640, 400)
    page.mouse.move(100, 300)
    for _ in range(3):
        page.keyboard.press("Tab")


def clean(page: Any, watch: Watch, paths: set[str]) -> None:
    poke(page)
    assert watch.problems(page, paths | APP_PATHS) == []


def ui_post(page: Any, live: Live, url: str, body: dict[str, Any]) -> Any:
    csrf = page.locator("body").get_attribute("data-csrf")
    return page.request.post(f"{live.url}{url}", data=body, headers={"X-CSRF-Token": csrf})


def test_payloads_stay_inert_on_cards_and_admin_pages(live: Live, page: Any) -> None:
    assert len(XSS_PAYLOADS) >= 50
    admin = {"Authorization": f"Bearer {off_loop(live.token, 'admin', 'ada')}"}
    post_and_wait(live, admin, bodies(), queue=None)
    watch = Watch(live.url).attach(page)
    assert login(page, live, ADMIN, PASSWORD).url == f"{live.url}/ui/queue"
    n_payloads = len(XSS_PAYLOADS)
    first_last = sorted({*range(AUTHORS), *range(n_payloads - AUTHORS, n_payloads)})
    notes = iter(XSS_PAYLOADS)
    for n in first_last:  # their histories show every other comment of the same author
        for _ in range(n_payloads // len(first_last) + 1):
            note = next(notes, None)
            if note:
                assert ui_post(page, live, f"/v1/comments/x{n}/notes", {"text": note}).ok
        watch.clear()
        page.goto(f"{live.url}/ui/item?{urlencode({'site': 'default', 'id': f'x{n}'})}")
        assert (
            page.locator("li.card p.text").evaluate("e => e.textContent")
            == "retard " + XSS_PAYLOADS[n]
        )
        assert page.locator("li.card .author").evaluate("e => e.textContent") == XSS_PAYLOADS[n]
        if n:
            parent = page.locator(".parent-text").evaluate("e => e.textContent")
            assert parent == "retard " + XSS_PAYLOADS[n - 1]
        assert page.locator(".author-history .history-text").count() >= 9
        clean(page, watch, {"/ui/item"})

    for n, payload in enumerate(XSS_PAYLOADS):  # decide every one, with the payload as note
        r = ui_post(
            page,
            live,
            f"/v1/comments/x{n}/decision",
            {"decision": "reject", "reason": "spam", "note": payload},
        )
        assert r.status == 200, r.text()
    for url in ("/ui/admin/audit", f"/ui/admin/audit?{urlencode({'reviewer': ADMIN})}"):
        watch.clear()
        page.goto(live.url + url)
        assert page.locator("tr.audit-entry").count() == n_payloads
        texts = page.locator(".audit-text").evaluate_all("es => es.map(e => e.textContent)")
        assert set(texts) == {("retard " + p)[:300] for p in XSS_PAYLOADS}
        clean(page, watch, {"/ui/admin/audit"})

    live.wait_for(lambda: live_dead_letters(live) >= n_payloads)
    watch.clear()
    page.goto(f"{live.url}/ui/admin/dead")
    assert page.locator("tr.dead-letter").count() == n_payloads
    authors = page.locator(".dead-comment .author").evaluate_all("es => es.map(e => e.textContent)")
    assert set(authors) == set(XSS_PAYLOADS)
    clean(page, watch, {"/ui/admin/dead"})
    with page.expect_navigation():
        page.locator("tr.dead-letter").first.get_by_role("button", name="Replay").click()
    assert page.locator("p.notice").inner_text() == "Dead letter queued for delivery again."

    names = [p for p in XSS_PAYLOADS if len(p) <= 64 and p.isprintable() and p != ADMIN]
    assert len(names) >= 50
    for name in names:
        r = httpx.post(
            f"{live.url}/v1/admin/users", headers=admin, json={"name": name, "password": PASSWORD}
        )
        assert r.status_code == 201, (name, r.text)
    watch.clear()
    page.goto(f"{live.url}/ui/admin/users")
    shown = page.locator(".user-name").evaluate_all("es => es.map(e => e.textContent)")
    assert set(names) <= set(shown)
    clean(page, watch, {"/ui/admin/users"})


def live_dead_letters(live: Live) -> int:
    import redis

    client = redis.Redis.from_url(live.settings.redis_url)
    try:
        return int(client.zcard(keys.OUTBOX_DEAD))
    finally:
        client.close()


def test_json_calls_without_the_csrf_header_are_refused(
    live: Live, context: Any, page: Any
) -> None:
    admin = {"Authorization": f"Bearer {off_loop(live.token, 'admin', 'ada')}"}
    post_and_wait(live, admin, [{"id": "c1", "text": "you retard"}])
    login(page, live, "rita", PASSWORD)
    base = live.url
    calls = [
        ("post", "/v1/comments/c1/decision", {"decision": "approve"}),
        ("post", "/v1/claims/c1", None),
        ("post", "/v1/bulk", {"decision": "approve", "items": [{"id": "c1"}]}),
        ("post", "/v1/comments/c1/notes", {"text": "hi"}),
        ("delete", "/v1/claims/c1", None),
    ]
    for method, url, body in calls:
        for headers in ({}, {"X-CSRF-Token": "forged"}):
            r = getattr(context.request, method)(base + url, data=body, headers=headers)
            assert r.status == 403, (url, headers)
            assert "CSRF" in r.json()["detail"]
    state = httpx.get(f"{base}/v1/comments/c1", headers=admin).json()
    assert state["state"] == "queued" and state["claim"]["by"] == "rita"  # the page's own claim
    r = ui_post(page, live, "/v1/comments/c1/decision", {"decision": "approve"})
    assert r.status == 200 and r.json()["by"] == "rita"


def test_reviewers_cannot_reach_admin_pages_or_apis(live: Live, context: Any, page: Any) -> None:
    login(page, live, "rita", PASSWORD)
    for path in (
        "/ui/admin/users",
        "/ui/admin/audit",
        "/ui/admin/dead",
        "/ui/queue?queue=escalated",
    ):
        assert page.goto(live.url + path).status == 403, path
    for method, path in (
        ("get", "/v1/admin/users"),
        ("get", "/v1/admin/audit"),
        ("get", "/v1/admin/dead-letters"),
        ("get", "/v1/queue?queue=escalated"),
    ):
        assert getattr(context.request, method)(live.url + path).status == 403, path
    page.goto(f"{live.url}/ui/queue")
    csrf = {"X-CSRF-Token": page.locator("body").get_attribute("data-csrf")}
    made = context.request.post(
        f"{live.url}/v1/admin/users", headers=csrf, data={"name": "eve", "password": PASSWORD}
    )
    assert made.status == 403
    form = context.request.post(
        f"{live.url}/ui/admin/users",
        form={"name": "eve", "password": PASSWORD, "csrf": csrf["X-CSRF-Token"]},
    )
    assert form.status == 403
    token = {"Authorization": f"Bearer {off_loop(live.token, 'reviewer', 'bot')}"}
    assert httpx.get(f"{live.url}/v1/admin/users", headers=token).status_code == 403
    assert page.locator("nav.links a").all_inner_texts() == ["Queues"]  # no admin links shown


def test_session_cookie_flags_and_secure_behind_an_https_proxy(live: Live) -> None:
    for proto, secure in ((None, False), ("https", True)):
        headers = {"X-Forwarded-Proto": proto} if proto else {}
        with httpx.Client(base_url=live.url, headers=headers) as c:
            form = c.get("/login")
            login_cookie = form.headers["set-cookie"]
            token = form.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
            # sent by hand: a client keeps a Secure cookie off a plain-http connection
            sent = {"Cookie": login_cookie.split(";", 1)[0]}
            data = {"username": "rita", "password": PASSWORD, "csrf": token}
            r = httpx.post(f"{live.url}/login", data=data, headers={**headers, **sent})
        assert r.status_code == 303
        prefix = "__Host-" if secure else ""  # over https: Secure, Path=/, no Domain
        session = next(
            v
            for v in r.headers.get_list("set-cookie")
            if v.startswith(f"{prefix}moderator_session=")
        )
        assert login_cookie.startswith(f"{prefix}moderator_login=")
        for cookie in (session, login_cookie):
            flags = {f.strip().lower() for f in cookie.split(";")[1:]}
            assert "httponly" in flags and "samesite=strict" in flags and "path=/" in flags
            assert ("secure" in flags) is secure, (proto, cookie)
            assert not any(f.startswith("domain") for f in flags)
