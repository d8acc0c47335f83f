"""The reviewer workspace in a real Chromium against a live moderator (uvicorn, worker thread,
real Redis, offline model, real lexicon and policy): a keyboard-only session, two reviewers who
never hold the same comment, bulk decisions by selection and by score, undo, new arrivals that
do not move the open comment, and the item card. Saves the README's screenshots in
build/screenshots/ (tests never write tracked files; `make screenshots` copies them into docs/).

Run: python -m pytest tests/e2e/test_workspace.py -q   (needs /usr/bin/chromium)
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.browser import (  # noqa: F401 (the *_fixture names register fixtures)
    APP_PATHS,
    VIEWPORT,
    Watch,
    add_user,
    api_auth,
    browser_fixture,
    context_fixture,
    login,
    page_fixture,
)
from tests.e2e.harness import Live
from tests.e2e.live_app import (  # noqa: F401
    PASSWORD,
    offline_service_fixture,
    post_and_wait,
    queued,
    running,
    state,
)

pytestmark = pytest.mark.browser
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
CURRENT = "li.card.current"
CURRENT_REF = "document.querySelector('li.card.current')?.dataset.ref ?? null"  # JS
CURRENT_NOW = f"() => {CURRENT_REF}"


@pytest.fixture
def live(make_settings: Any, redis_client: Any, offline_service: Any) -> Iterator[Live]:
    with running(make_settings, offline_service, review={"page_size": 4}) as app:
        add_user(app, "rita", PASSWORD)
        add_user(app, "bob", PASSWORD)
        yield app


def keyboard_login(page: Any, live: Live, user: str) -> None:
    """Log in without the mouse: the user name field has autofocus."""
    page.goto(f"{live.url}/login")
    page.locator("input[name=username]:focus").wait_for()  # autofocus has landed
    page.keyboard.type(user)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == f"{live.url}/ui/queue"


def current(page: Any) -> str:
    ref: str = page.locator(CURRENT).get_attribute("data-ref")
    return ref


def wait_current(page: Any, ref: str) -> None:
    page.locator(f'{CURRENT}[data-ref="{ref}"]').wait_for()


def wait_decided(page: Any, ref: str) -> None:
    page.locator(f'li.card.decided[data-ref="{ref}"]').wait_for()


def wait_moved_on(page: Any, ref: str) -> None:
    """The page's current card is no longer `ref` (another one, or none)."""
    page.wait_for_function(f"(ref) => ({CURRENT_REF}) !== ref", arg=ref)


def slurs(n: int) -> str:
    return " ".join(["retard"] * n) + f" ({n})"


def test_a_keyboard_only_session_works_a_queue(live: Live, page: Any) -> None:
    auth = api_auth(live)
    items = post_and_wait(live, auth, [{"id": f"k{n}", "text": slurs(n)} for n in range(1, 5)])
    refs = [i["ref"] for i in items]  # priority order: most slurs first
    watch = Watch(live.url).attach(page)
    keyboard_login(page, live, "rita")
    wait_current(page, refs[0])  # the first comment is open and claimed
    assert state(live, auth, refs[0].split(":")[1])["claim"]["by"] == "rita"
    page.keyboard.press("j")
    wait_current(page, refs[1])
    page.keyboard.press("k")
    wait_current(page, refs[0])

    page.keyboard.press("a")  # approve, and on to the next
    wait_decided(page, refs[0])
    wait_current(page, refs[1])
    page.keyboard.press("r")
    page.locator("#reasons").wait_for()
    page.keyboard.press("3")  # harassment
    wait_decided(page, refs[1])
    wait_current(page, refs[2])
    page.keyboard.press("x")  # select two, reject both at once
    page.keyboard.press("j")
    wait_current(page, refs[3])
    page.keyboard.press("x")
    # keys run in order on the page's action queue, behind a lease renewal or a poll in flight:
    # wait for the second selection rather than count at once (CI counted 1)
    page.locator("li.card.selected").nth(1).wait_for()
    assert page.locator("li.card.selected").count() == 2
    page.keyboard.press("r")
    page.keyboard.press("5")  # spam
    wait_decided(page, refs[2])
    wait_decided(page, refs[3])
    page.locator("#toast .msg", has_text="Rejected 2 · u to undo").wait_for()
    page.keyboard.press("u")  # undo the bulk rejection
    page.locator(f'{CURRENT}[data-ref="{refs[2]}"]:not(.decided)').wait_for()
    assert page.locator("li.card.decided").count() == 2
    page.keyboard.press("e")  # escalate
    wait_decided(page, refs[2])
    page.keyboard.press("n")
    page.keyboard.type("asked the admins about this one")
    page.keyboard.press("Control+Enter")
    page.locator("#toast .msg", has_text="Note added.").wait_for()
    page.keyboard.press("?")
    page.locator("#help").wait_for()  # "?" runs on the action queue too
    page.keyboard.press("Escape")
    page.locator("#help").wait_for(state="hidden")

    outcome = {r: state(live, auth, r.split(":")[1]) for r in refs}
    assert [(o["state"], o["version"]) for o in outcome.values()] == [
        ("approved", 1),
        ("rejected", 1),
        ("escalated", 3),
        ("queued", 2),
    ]
    assert outcome[refs[1]]["decision"]["reason"] == "harassment"
    assert outcome[refs[3]]["decision"]["decision"] == "undo"
    assert {o["decision"]["by"] for o in outcome.values()} == {"rita"}
    assert outcome[refs[3]]["claim"]["by"] == "rita"  # still open in front of her
    assert watch.problems(page, {"/ui/queue", "/login", *APP_PATHS}) == []


def test_two_reviewers_never_hold_the_same_comment(live: Live, browser: Any) -> None:
    auth = api_auth(live)
    items = post_and_wait(live, auth, [{"id": f"t{n}", "text": slurs(n)} for n in range(1, 5)])
    refs = [i["ref"] for i in items]
    pages = {}
    for user in ("rita", "bob"):
        ctx = browser.new_context(viewport=VIEWPORT)
        pages[user] = ctx.new_page()
        keyboard_login(pages[user], live, user)
        pages[user].locator(CURRENT).wait_for()
    rita, bob = pages["rita"], pages["bob"]
    wait_current(rita, refs[0])
    wait_current(bob, refs[1])  # the first is rita's: bob is moved on to the next
    claimed = bob.locator(f'li.card[data-ref="{refs[0]}"] .claim')
    assert claimed.inner_text() == "being reviewed by rita"
    decided: dict[str, list[str]] = {"rita": [], "bob": []}
    for _ in range(len(refs)):
        for user, page in pages.items():
            ref = page.evaluate(CURRENT_NOW)
            if ref is None:
                continue
            # read without waiting: the other page may drop its current card at any moment
            # (its script moves on after a decision), which a locator would wait 30 s for
            others = [p.evaluate(CURRENT_NOW) for p in pages.values() if p is not page]
            assert ref not in others
            page.keyboard.press("a")
            wait_decided(page, ref)
            # the page claims its next card after marking this one decided: until it has moved
            # on, its current card is still this one (CI read it again and pressed "a" twice)
            wait_moved_on(page, ref)
            decided[user].append(ref)
    assert not set(decided["rita"]) & set(decided["bob"])
    assert sorted(decided["rita"] + decided["bob"]) == sorted(refs)
    assert decided["rita"] and decided["bob"]
    for user, mine in decided.items():
        for ref in mine:
            outcome = state(live, auth, ref.split(":")[1])
            assert (outcome["state"], outcome["version"]) == ("approved", 1)
            assert outcome["decision"]["by"] == user
    for page in pages.values():
        page.context.close()


def test_bulk_reject_everything_above_a_score_then_undo(live: Live, page: Any) -> None:
    auth = api_auth(live)
    items = post_and_wait(live, auth, [{"id": f"b{n}", "text": slurs(n)} for n in range(1, 7)])
    refs, priorities = [i["ref"] for i in items], [i["priority"] for i in items]
    assert len(set(priorities)) >= 4, priorities  # enough distinct scores to cut between
    cut = next(k for k in range(2, 6) if priorities[k] < priorities[k - 1])  # first k shown
    keyboard_login(page, live, "rita")
    wait_current(page, refs[0])
    for k in range(1, cut):
        page.keyboard.press("j")
        wait_current(page, refs[k])
    page.keyboard.press("X")  # everything at or above this one's priority, on every page
    page.locator("#bulk .selection", has_text="Everything at or above").wait_for()
    page.keyboard.press("r")
    page.keyboard.press("1")  # abusive
    above = [r for r, p in zip(refs, priorities, strict=True) if p >= priorities[cut - 1]]
    page.locator("#toast .msg", has_text=f"Rejected {len(above)}").wait_for()
    assert page.locator("li.card.decided").count() == min(len(above), 4)  # page size 4
    for ref in refs:
        expected = "rejected" if ref in above else "queued"
        assert state(live, auth, ref.split(":")[1])["state"] == expected, ref
    assert state(live, auth, above[0].split(":")[1])["decision"]["reason"] == "abusive"
    page.keyboard.press("u")
    page.locator("#toast .msg", has_text="Undone").wait_for()
    assert [state(live, auth, r.split(":")[1])["state"] for r in refs] == ["queued"] * len(refs)

    page.reload()  # and with the mouse: tick two, approve them
    page.locator(CURRENT).wait_for()
    boxes = page.locator("li.card input.select")
    boxes.nth(0).check()
    boxes.nth(1).check()
    assert page.locator("#bulk .selection").inner_text() == "2 selected."
    page.locator("#bulk").get_by_role("button", name="Approve all").click()
    page.locator("#toast .msg", has_text="Approved 2").wait_for()
    assert [state(live, auth, r.split(":")[1])["state"] for r in refs[:2]] == ["approved"] * 2


def test_new_arrivals_are_announced_without_moving_the_open_comment(live: Live, page: Any) -> None:
    auth = api_auth(live)
    refs = [
        i["ref"]
        for i in post_and_wait(
            live, auth, [{"id": "n1", "text": slurs(2)}, {"id": "n2", "text": slurs(1)}]
        )
    ]
    keyboard_login(page, live, "rita")
    wait_current(page, refs[0])
    page.keyboard.press("j")
    wait_current(page, refs[1])
    shown = page.locator("li.card").evaluate_all("cards => cards.map(c => c.dataset.ref)")
    post_and_wait(live, auth, [{"id": "n3", "text": "I will kill you, retard"}])  # the worst yet
    page.locator("#arrivals", has_text="1 new comment arrived in hold.").wait_for()
    assert page.locator("#tab-hold .count").inner_text() == "3"
    assert current(page) == refs[1]  # the comment being read did not move
    assert page.locator("li.card").evaluate_all("cards => cards.map(c => c.dataset.ref)") == shown
    with page.expect_navigation():
        page.locator("#arrivals a").click()
    assert page.locator("li.card").first.get_attribute("data-ref") == "default:n3"


def test_the_item_card_and_the_screenshots(live: Live, page: Any) -> None:
    auth = api_auth(live)
    post_and_wait(
        live,
        auth,
        [
            {
                "id": "p1",
                "text": "Venezuelans are really fucked up, all of them.",
                "author": {"id": "u7", "name": "Marta"},
            },
            {
                "id": "h1",
                "text": "You are a retard and everybody knows it.",
                "author": {"id": "u9", "name": "tito_88"},
            },
        ],
        queue=None,
    )
    assert httpx_decide(live, auth, "h1", "reject")
    post_and_wait(
        live,
        auth,
        [
            {
                "id": "c1",
                "text": "Listen to what the retard Freddy has to say about him. "
                "Brainwashed walking abortions, all of them.",
                "parent_id": "p1",
                "author": {"id": "u9", "name": "tito_88"},
                "thread": {
                    "id": "t1",
                    "title": "Police raid in the village",
                    "url": "https://news.example/raid",
                },
            },
            {
                "id": "c2",
                "text": "Shut up retard, go kill yourself",
                "thread": {"id": "t1", "title": "Police raid in the village"},
            },
        ],
        queue=None,
    )
    keyboard_login(page, live, "rita")
    page.locator(CURRENT).wait_for()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "queue.png"), full_page=True)
    while current(page) != "default:c1":
        page.keyboard.press("j")
        page.wait_for_timeout(50)
    with page.expect_navigation():
        page.keyboard.press("o")
    assert page.url.startswith(f"{live.url}/ui/item?")
    card = page.locator("li.card")
    assert card.locator("mark").first.inner_text() == "retard"
    assert "Venezuelans are really fucked up" in page.locator(".parent-text").inner_text()
    assert page.locator(".author-history .count-rejected").inner_text() == "rejected 1"
    assert "You are a retard" in page.locator(".author-history .history-text").inner_text()
    link = page.locator("a.thread-link")
    assert link.inner_text() == "Police raid in the village"
    assert link.get_attribute("href") == "https://news.example/raid"
    assert state(live, auth, "c1")["claim"]["by"] == "rita"
    page.screenshot(path=str(SCREENSHOTS / "card.png"), full_page=True)
    for name in ("queue.png", "card.png"):
        data = (SCREENSHOTS / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and int.from_bytes(data[16:20], "big") == 1280
    with page.expect_navigation():
        page.keyboard.press("a")  # approve: on to the next comment's card
    assert state(live, auth, "c1")["state"] == "approved"
    assert page.url.startswith(f"{live.url}/ui/item?")


def httpx_decide(live: Live, auth: dict[str, str], comment_id: str, decision: str) -> bool:
    import httpx

    r = httpx.post(
        f"{live.url}/v1/comments/{comment_id}/decision", json={"decision": decision}, headers=auth
    )
    return r.status_code == 200


def claimed_by(live: Live, auth: dict[str, str], comment_id: str) -> str | None:
    claim = state(live, auth, comment_id)["claim"]
    return claim["by"] if claim else None


def test_a_get_never_claims_the_card_and_next_claim_by_post(live: Live, page: Any) -> None:
    """Issue 8 item 5: a same-site page (another port of the same host) loading the UI's URLs
    as images carries the reviewer's cookies, yet claims nothing; opening a card claims it
    through the script's POST, and `j` on the card goes on with a form POST."""
    auth = api_auth(live)
    bodies = [{"id": f"c{n}", "text": slurs(n + 1)} for n in range(3)]
    post_and_wait(live, auth, bodies)
    login(page, live, "rita", PASSWORD)
    page.locator(CURRENT).wait_for()  # the queue page claimed its first card (POST)
    first = current(page).split(":")[1]
    others = [b["id"] for b in bodies if b["id"] != first]
    evil = "".join(
        f'<img src="{live.url}{path}">'
        for path in (f"/ui/item?id={others[0]}", "/ui/next?queue=hold", f"/ui/item?id={others[1]}")
    )
    page.route(
        "http://127.0.0.1:9/evil",
        lambda route: route.fulfill(
            body=f"<html><body>{evil}</body></html>", content_type="text/html"
        ),
    )
    page.goto("http://127.0.0.1:9/evil")
    page.wait_for_load_state("load")
    assert [claimed_by(live, auth, i) for i in others] == [None, None]
    page.goto(f"{live.url}/ui/item?id={others[0]}")
    page.locator(f'{CURRENT}[data-id="{others[0]}"]').wait_for()  # the script claimed it
    assert claimed_by(live, auth, others[0]) == "rita"
    with page.expect_navigation():
        page.keyboard.press("j")  # skip: POST /ui/next releases it and claims the next
    assert page.url.startswith(f"{live.url}/ui/item?")
    assert claimed_by(live, auth, others[0]) is None
    opened = page.locator("li.card").get_attribute("data-id")
    assert opened != others[0] and claimed_by(live, auth, opened) == "rita"
