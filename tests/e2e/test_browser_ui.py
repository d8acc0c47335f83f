"""The reviewer UI in a real Chromium against a live moderator (uvicorn + worker thread + real
Redis, the offline model, the real lexicon and policy): login and session cookie, the queue page,
decisions through the buttons, XSS, CSRF and logout. The workspace (keyboard, claims, bulk,
undo) is tested in test_workspace.py, the security suite in test_security.py.

Run: python -m pytest tests/e2e/test_browser_ui.py -q   (needs /usr/bin/chromium: make browser-deps)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from moderator.core.scoring import ScoringService
from tests.e2e.browser import (  # noqa: F401 (the *_fixture names register fixtures)
    APP_PATHS,
    XSS_PAYLOADS,
    Watch,
    add_user,
    api_auth,
    browser_fixture,
    context_fixture,
    login,
    page_fixture,
    session_cookie,
)
from tests.e2e.harness import Live, live_moderator
from tests.offline import offline_service

pytestmark = pytest.mark.browser

RETARD = "Listen to what the retard Freddy has to say about him"
USER, PASSWORD = "rita", "correct horse battery"
QUEUE_PATHS = {"/ui/queue", *APP_PATHS}
# Three comments per payload (text, author name, thread title): 16 payloads fill at most 48 of
# the 50 items a queue page shows, whichever tab each comment lands in.
GROUP = 16


@pytest.fixture(scope="module", name="offline_service")
def offline_service_fixture() -> ScoringService:
    return offline_service()


@pytest.fixture
def live(make_settings: Any, redis_client: Any, offline_service: ScoringService) -> Iterator[Live]:
    with live_moderator(make_settings(), offline_service) as running:
        add_user(running, USER, PASSWORD)
        yield running


def queued_refs(live: Live, auth: dict[str, str]) -> dict[str, str]:
    """ref → queue, for every comment waiting in hold or review."""
    out = {}
    for queue in ("hold", "review"):
        r = httpx.get(f"{live.url}/v1/queue", params={"queue": queue, "limit": 500}, headers=auth)
        r.raise_for_status()
        out.update({item["ref"]: queue for item in r.json()["items"]})
    return out


def wait_queued(live: Live, auth: dict[str, str], refs: set[str]) -> dict[str, str]:
    """Wait until every ref is queued; fail with the states of the ones that are not."""
    try:
        live.wait_for(lambda: refs <= queued_refs(live, auth).keys())
    except AssertionError:
        states = {ref: comment(live, auth, ref.split(":", 1)[1]).get("state") for ref in refs}
        raise AssertionError(f"not queued: {sorted(states.items())}") from None
    return queued_refs(live, auth)


def comment(live: Live, auth: dict[str, str], comment_id: str) -> dict[str, Any]:
    r = httpx.get(f"{live.url}/v1/comments/{comment_id}", headers=auth)
    assert r.status_code == 200, r.text
    return r.json()


def post(live: Live, body: dict[str, Any]) -> None:
    r = live.post(body)
    assert r.status_code == 202, r.text


def card(page: Any, comment_id: str) -> Any:
    return page.locator(f'li.card[data-ref="default:{comment_id}"]')


# --- 1. login -------------------------------------------------------------------------------


def test_login_sets_a_strict_httponly_session_cookie(live: Live, context: Any, page: Any) -> None:
    response = login(page, live, USER, "not the password")
    assert response.status == 401
    assert page.url == f"{live.url}/login"
    assert page.locator("p.error").inner_text() == "Wrong user name or password."
    assert session_cookie(context) is None

    response = login(page, live, USER, PASSWORD)
    assert response.status == 200
    assert page.url == f"{live.url}/ui/queue"
    assert page.locator("header .who").inner_text() == f"{USER} (reviewer)"
    cookie = session_cookie(context)
    assert cookie is not None
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Strict"
    assert cookie["path"] == "/" and cookie["domain"] == "127.0.0.1"
    assert "moderator_login" not in {c["name"] for c in context.cookies()}
    assert page.evaluate("document.cookie") == ""  # HttpOnly: invisible to scripts


# --- 2. the queue page ------------------------------------------------------------------------


def test_held_comment_shows_highlight_scores_reasons_and_fallback_banner(
    live: Live, page: Any
) -> None:
    auth = api_auth(live)
    post(live, {"id": "c1", "text": RETARD, "site": "default"})
    queue = wait_queued(live, auth, {"default:c1"})["default:c1"]
    watch = Watch(live.url).attach(page)
    login(page, live, USER, PASSWORD)
    with page.expect_navigation():
        page.locator(f"#tab-{queue}").click()
    assert page.url == f"{live.url}/ui/queue?queue={queue}"

    item = card(page, "c1")
    assert item.locator("p.text").inner_text() == RETARD
    marks = item.locator("p.text mark")
    assert marks.count() == 1
    assert marks.first.evaluate("m => m.textContent") == "retard"
    assert "retard" in (marks.first.get_attribute("title") or "")
    assert item.locator("ul.reasons").is_visible()
    reasons = item.locator("ul.reasons li").all_inner_texts()
    assert any(r.startswith(f"{queue}: rule lexicon-") and "'retard'" in r for r in reasons), (
        reasons
    )
    assert item.locator("table.scores").is_visible()
    assert item.locator("table.scores th").all_inner_texts() == ["toxicity"]
    score = item.locator("table.scores td").nth(1).inner_text()
    assert 0.0 <= float(score) <= 1.0
    assert "alt-profanity-check" in page.locator("nav .model").inner_text()
    banner = page.locator(".banner.warn")
    assert banner.is_visible()
    assert "offline fallback model" in banner.inner_text()
    assert "alt-profanity-check" in banner.inner_text()
    assert watch.problems(page, QUEUE_PATHS | {"/login"}) == []


# --- 3. decisions -----------------------------------------------------------------------------


def test_approve_and_reject_buttons_decide_and_record_the_reviewer(live: Live, page: Any) -> None:
    auth = api_auth(live)
    for cid in ("ok1", "bad1", "other1"):
        post(live, {"id": cid, "text": f"{RETARD} ({cid})"})
    refs = wait_queued(live, auth, {"default:ok1", "default:bad1", "default:other1"})
    login(page, live, USER, PASSWORD)

    page.goto(f"{live.url}/ui/queue?queue={refs['default:ok1']}")
    card(page, "ok1").get_by_role("button", name="Approve").click()
    card(page, "ok1").and_(page.locator(".decided")).wait_for()  # decided in place, no reload
    assert page.locator("#toast .msg").inner_text() == "Approved · u to undo"

    page.goto(f"{live.url}/ui/queue?queue={refs['default:bad1']}")
    card(page, "bad1").get_by_label("reason").select_option("spam")
    card(page, "bad1").get_by_role("button", name="Reject").click()
    card(page, "bad1").and_(page.locator(".decided")).wait_for()
    assert card(page, "bad1").locator(".outcome").inner_text() == "rejected by you"

    page.goto(f"{live.url}/ui/queue?queue={refs['default:other1']}")
    assert card(page, "other1").count() == 1
    approved, rejected = comment(live, auth, "ok1"), comment(live, auth, "bad1")
    assert approved["state"] == "approved" and approved["decision"]["decision"] == "approve"
    assert approved["decision"]["by"] == USER
    assert rejected["state"] == "rejected" and rejected["decision"]["decision"] == "reject"
    assert rejected["decision"]["by"] == USER and rejected["decision"]["reason"] == "spam"
    assert comment(live, auth, "other1")["state"] == "queued"


def test_approving_records_no_rejection_reason(live: Live, page: Any) -> None:
    auth = api_auth(live)
    post(live, {"id": "ok2", "text": RETARD})
    queue = wait_queued(live, auth, {"default:ok2"})["default:ok2"]
    login(page, live, USER, PASSWORD)
    page.goto(f"{live.url}/ui/queue?queue={queue}")
    card(page, "ok2").get_by_role("button", name="Approve").click()
    card(page, "ok2").and_(page.locator(".decided")).wait_for()
    assert comment(live, auth, "ok2")["decision"]["reason"] is None


# --- 4. XSS -----------------------------------------------------------------------------------


def test_payload_list_is_complete() -> None:
    assert len(XSS_PAYLOADS) >= 50
    assert len(set(XSS_PAYLOADS)) == len(XSS_PAYLOADS)
    assert all(0 < len(p) <= 1000 for p in XSS_PAYLOADS)
    joined = "\n".join(XSS_PAYLOADS)
    for needle in (
        "<script>",
        "onerror=",
        "autofocus",
        "javascript:",
        "<svg",
        "xlink:href",
        "srcdoc",
        "{{7*7}}",
        "${",
        "\uff1cscript\uff1e",
        "\u200b",
        "\u202e",
        "&#60;",
        "data:text/html",
        "<base href",
        'http-equiv="refresh"',
        "expression(",
        '<noscript><p title="</noscript>',
        '"><img',
    ):
        assert needle in joined, needle


def _expected(group: list[str], start: int) -> tuple[list[dict[str, Any]], dict[str, dict]]:
    """Webhook bodies for a group of payloads, and what each card must show, by ref."""
    bodies: list[dict[str, Any]] = []
    shown: dict[str, dict] = {}
    for n, payload in enumerate(group, start=start):
        held = f"retard number {n}"
        url = "https://example.org/t?q=" + payload
        bodies += [
            {"id": f"x{n}-text", "text": "retard " + payload},
            {"id": f"x{n}-author", "text": held, "author": {"name": payload}},
            {"id": f"x{n}-title", "text": held, "thread": {"title": payload, "url": url}},
        ]
        shown[f"default:x{n}-text"] = {"text": "retard " + payload, "author": "anonymous"}
        shown[f"default:x{n}-author"] = {"text": held, "author": payload}
        shown[f"default:x{n}-title"] = {
            "text": held,
            "author": "anonymous",
            "title": payload,
            "href": url,
        }
    return bodies, shown


_CARDS_JS = """
() => [...document.querySelectorAll('li.card')].map((li) => {
  const text = li.querySelector('p.text'), author = li.querySelector('.author');
  const link = li.querySelector('.thread a');
  return {
    ref: li.dataset.ref,
    text: text.textContent,
    author: author.textContent,
    title: link ? link.textContent : undefined,
    href: link ? link.getAttribute('href') : undefined,
    inside: [...text.querySelectorAll('*'), ...author.querySelectorAll('*')]
      .filter((e) => !e.matches('p.text > mark, p.text > span.worst, span.worst > mark'))
      .map((e) => e.localName),
  };
})
"""


def _check_tab(page: Any, live: Live, watch: Watch, queue: str) -> dict[str, dict]:
    watch.clear()
    response = page.goto(f"{live.url}/ui/queue?queue={queue}")
    csp = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in csp and "default-src 'none'" in csp, csp
    assert "unsafe-inline" not in csp
    page.mouse.move(640, 400)  # would fire an injected full-page onmouseover
    page.keyboard.press("Tab")  # would fire an injected onfocus / onblur
    page.keyboard.press("Tab")
    assert page.url == f"{live.url}/ui/queue?queue={queue}"  # no <meta refresh> or <base> hop
    assert watch.problems(page, QUEUE_PATHS) == []
    cards = page.evaluate(_CARDS_JS)
    assert [c["inside"] for c in cards if c["inside"]] == []
    return {c.pop("ref"): c for c in cards}


def test_xss_payloads_render_as_text(live: Live, page: Any) -> None:
    auth = api_auth(live)
    reviewer = '"><img src=x onerror=window.__xss=1>'  # a user name is shown in the header too
    add_user(live, reviewer, PASSWORD)
    watch = Watch(live.url).attach(page)
    assert login(page, live, reviewer, PASSWORD).url == f"{live.url}/ui/queue"
    assert page.locator("header .who").evaluate("e => e.textContent") == f"{reviewer} (reviewer)"

    for start in range(0, len(XSS_PAYLOADS), GROUP):
        bodies, shown = _expected(XSS_PAYLOADS[start : start + GROUP], start)
        for body in bodies:
            post(live, body)
        wait_queued(live, auth, set(shown))
        seen: dict[str, dict] = {}
        for queue in ("hold", "review"):
            seen.update(_check_tab(page, live, watch, queue))
        assert seen.keys() == shown.keys()
        for ref, want in shown.items():
            got = {k: v for k, v in seen[ref].items() if k != "inside" and v is not None}
            assert got == want, ref
        csrf = page.locator("body").get_attribute("data-csrf")
        for body in bodies:  # empty the queues for the next group (as the reviewer: the page
            r = page.request.post(  # has claimed the comment it opened)
                f"{live.url}/v1/comments/{body['id']}/decision",
                data={"decision": "approve"},
                headers={"X-CSRF-Token": csrf},
            )
            assert r.status == 200, r.text()


def test_notice_parameter_cannot_put_words_on_the_page(live: Live, page: Any) -> None:
    login(page, live, USER, PASSWORD)
    watch = Watch(live.url).attach(page)
    for payload in [*XSS_PAYLOADS[:20], "Your account is locked: call +1 555 0100"]:
        watch.clear()
        page.goto(f"{live.url}/ui/queue?{urlencode({'notice': payload})}")
        assert page.locator("p.notice").count() == 0
        assert watch.problems(page, QUEUE_PATHS) == [], payload
    page.goto(f"{live.url}/ui/queue?notice=approved")
    assert page.locator("p.notice").inner_text() == "Comment approved."


# --- 5. CSRF ----------------------------------------------------------------------------------


def test_decision_without_csrf_token_is_refused(live: Live, context: Any, page: Any) -> None:
    auth = api_auth(live)
    post(live, {"id": "c1", "text": RETARD})
    queue = wait_queued(live, auth, {"default:c1"})["default:c1"]
    login(page, live, USER, PASSWORD)
    form = {"site": "default", "id": "c1", "decision": "approve", "queue": queue}

    for csrf in ({}, {"csrf": ""}, {"csrf": "forged-token"}):
        refused = context.request.post(
            f"{live.url}/ui/decision", form={**form, **csrf}, max_redirects=0
        )
        assert refused.status == 403, csrf
        assert "CSRF" in refused.json()["detail"]
    refused = context.request.post(f"{live.url}/logout", form={}, max_redirects=0)
    assert refused.status == 403
    assert comment(live, auth, "c1")["state"] == "queued"
    assert "default:c1" in queued_refs(live, auth)

    page.goto(f"{live.url}/ui/queue?queue={queue}")  # the session survived the refused logout
    token = card(page, "c1").locator('input[name="csrf"]').get_attribute("value")
    accepted = context.request.post(
        f"{live.url}/ui/decision", form={**form, "csrf": token}, max_redirects=0
    )
    assert accepted.status == 303  # the same request with the token goes through
    assert comment(live, auth, "c1")["state"] == "approved"


def test_cross_site_form_post_carries_no_session(live: Live, page: Any) -> None:
    """SameSite=Strict in a real browser: a page on another site (localhost is not the same site
    as 127.0.0.1) that auto-submits the decision form, even with the right CSRF token, is not
    logged in."""
    auth = api_auth(live)
    post(live, {"id": "c1", "text": RETARD})
    queue = wait_queued(live, auth, {"default:c1"})["default:c1"]
    login(page, live, USER, PASSWORD)
    page.goto(f"{live.url}/ui/queue?queue={queue}")
    token = card(page, "c1").locator('input[name="csrf"]').get_attribute("value")
    attacker = live.url.replace("127.0.0.1", "localhost") + "/attack"
    html = (
        f'<form id="f" method="post" action="{live.url}/ui/decision">'
        '<input name="site" value="default"><input name="id" value="c1">'
        f'<input name="decision" value="approve"><input name="csrf" value="{token}">'
        '</form><script>document.getElementById("f").submit()</script>'
    )
    page.route(
        attacker, lambda route: route.fulfill(status=200, content_type="text/html", body=html)
    )
    with page.expect_navigation(url=f"{live.url}/login"):
        page.goto(attacker)
    assert comment(live, auth, "c1")["state"] == "queued"


def test_login_without_its_csrf_token_is_refused(live: Live, context: Any, page: Any) -> None:
    page.goto(f"{live.url}/login")
    login_cookie = next(c for c in context.cookies() if c["name"] == "moderator_login")
    assert login_cookie["httpOnly"] is True and login_cookie["sameSite"] == "Strict"
    credentials = {"username": USER, "password": PASSWORD}
    for csrf in ({}, {"csrf": "forged-token"}):
        refused = context.request.post(
            f"{live.url}/login", form={**credentials, **csrf}, max_redirects=0
        )
        assert refused.status == 403, csrf
        assert "login form expired" in refused.text()
    assert session_cookie(context) is None
    page.goto(f"{live.url}/login")  # each login page rotates the token; take the newest
    token = page.locator('input[name="csrf"]').get_attribute("value")
    accepted = context.request.post(
        f"{live.url}/login", form={**credentials, "csrf": token}, max_redirects=0
    )
    assert accepted.status == 303 and accepted.headers["location"] == "/ui/queue"


# --- 6. logout --------------------------------------------------------------------------------


def test_logout_ends_the_session(live: Live, browser: Any, context: Any, page: Any) -> None:
    login(page, live, USER, PASSWORD)
    old = session_cookie(context)
    assert old is not None
    with page.expect_navigation():
        page.get_by_role("button", name="Log out").click()
    assert page.url == f"{live.url}/login"
    assert session_cookie(context) is None
    page.goto(f"{live.url}/ui/queue")
    assert page.url == f"{live.url}/login"

    replay = browser.new_context()
    try:
        replay.add_cookies([old])
        replayed = replay.new_page()
        replayed.goto(f"{live.url}/ui/queue")
        assert replayed.url == f"{live.url}/login"
        direct = replay.request.get(f"{live.url}/ui/queue", max_redirects=0)
        assert direct.status == 303 and direct.headers["location"] == "/login"
    finally:
        replay.close()
