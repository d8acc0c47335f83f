"""Issue 9.17, through the API on a real Redis: the bulk cap (`review.bulk_max`) for a scope and
for listed comments (none is dropped without a word), and DECIDE's stale-version branch (a
decision made on a version someone changed meanwhile is re-read and numbered after theirs,
never written over it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from moderator.core.models import Decision
from moderator.settings import Settings
from tests.web.conftest import Web, refs_of
from tests.web.seeding import now_ms

pytestmark = pytest.mark.anyio
BULK_MAX = 3


@pytest.fixture
def web_settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings(review={"lease_s": 60, "undo_window_s": 30, "bulk_max": BULK_MAX})


async def test_a_scope_bulk_decides_at_most_bulk_max_worst_first_and_says_so(web: Web) -> None:
    refs = [web.seeder.add(f"c{i}", priority=0.99 - i / 100) for i in range(5)]
    rita = await web.bearer(name="rita")
    bulk = await rita.post(
        "/v1/bulk", json={"decision": "reject", "scope": {"queue": "hold", "min_priority": 0.5}}
    )
    assert bulk.status_code == 200, bulk.text
    assert [d["ref"] for d in bulk.json()["decided"]] == refs[:BULK_MAX]
    assert bulk.json()["skipped"] == [
        {"ref": None, "detail": "2 more left for another run (bulk_max)."}
    ]
    left = await rita.get("/v1/queue", params={"queue": "hold"})
    assert refs_of(left) == refs[BULK_MAX:]
    assert all(i["claim"] is None for i in left.json()["items"])  # not claimed by the cut-off run


async def test_listed_comments_past_bulk_max_are_reported_not_dropped(web: Web) -> None:
    refs = [web.seeder.add(f"c{i}", priority=0.9) for i in range(5)]
    rita = await web.bearer(name="rita")
    items = [{"id": f"c{i}"} for i in range(5)]
    bulk = await rita.post("/v1/bulk", json={"decision": "approve", "items": items})
    assert bulk.status_code == 200, bulk.text
    body = bulk.json()
    assert [d["ref"] for d in body["decided"]] == refs[:BULK_MAX]
    assert [s["ref"] for s in body["skipped"]] == refs[BULK_MAX:]
    assert all("bulk_max" in s["detail"] for s in body["skipped"])
    left = await rita.get("/v1/queue", params={"queue": "hold"})
    assert refs_of(left) == refs[BULK_MAX:]


async def test_a_decision_on_a_version_changed_meanwhile_is_reread_and_numbered_after_it(
    web: Web,
) -> None:
    """Between rita's read of the comment and her DECIDE script, bob decides it, undoes that and
    lets it go (version 2, queued again). Her script sees version 0 != 2 (STALE), her decision
    re-reads and becomes version 3; without the check it would be a second version 1."""
    ref = web.seeder.add("c1")
    store = web.services.review
    read = store.get
    interleaved: list[int] = []

    async def get_then_bob_acts(wanted: str) -> dict[str, Any]:
        item: dict[str, Any] = await read(wanted)
        if not interleaved:
            interleaved.append(item["version"])
            bob = await store.decide(
                wanted, Decision.REJECT, by="bob", reason=None, note=None, now_ms=now_ms()
            )
            await store.undo(
                wanted, bob["version"], by="bob", now_ms=now_ms(), window_ms=30_000, lease_ms=60_000
            )
            assert await web.services.claims.release(wanted, "bob")
        return item

    store.get = get_then_bob_acts  # type: ignore[method-assign]
    rita = await web.bearer(name="rita")
    decided = await rita.post("/v1/comments/c1/decision", json={"decision": "approve"})
    store.get = read  # type: ignore[method-assign]
    assert interleaved == [0]  # rita's first read saw version 0
    assert decided.status_code == 200, decided.text
    assert (decided.json()["version"], decided.json()["state"]) == (3, "approved")
    context = (await rita.get("/v1/comments/c1/context")).json()
    assert [(d["decision"], d["version"], d["by"]) for d in context["decisions"]] == [
        ("reject", 1, "bob"),
        ("undo", 2, "bob"),
        ("approve", 3, "rita"),
    ]
    assert (await rita.get("/v1/comments/c1")).json()["version"] == 3
    assert ref == "default:c1"
