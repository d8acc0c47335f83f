"""Issue 8 item 5: one caller holds at most review.max_claims live claims (here 2), whether it
claims one by one, by claim-next or through the UI's "Next"; renewals always go through, a
decision or a release frees a place, and bulk decisions (which decide what they claim at once)
are not held back."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest

from moderator.settings import Settings
from tests.web.conftest import Web, refs_of

pytestmark = pytest.mark.anyio


@pytest.fixture
def web_settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings(review={"lease_s": 60, "max_claims": 2})


async def test_a_caller_holds_at_most_max_claims(web: Web):
    for i in range(5):
        web.seeder.add(f"c{i}", priority=0.9 - i / 10)
    web.seeder.add("b0", site="b")
    rita, bob = await web.bearer(name="rita"), await web.bearer(name="bob")
    assert (await rita.post("/v1/claims/c0")).status_code == 200
    assert (await rita.post("/v1/claims/c1")).status_code == 200
    refused = await rita.post("/v1/claims/c2")
    assert refused.status_code == 409
    assert "review.max_claims" in refused.json()["detail"]
    assert (await web.services.review.get("default:c2"))["claim"] is None
    assert (await rita.post("/v1/claims/c1")).status_code == 200  # a renewal
    renewed = await rita.post("/v1/queue/hold/claim", params={"count": 3})
    assert refs_of(renewed) == ["default:c0", "default:c1"]  # hers come back, nothing new
    elsewhere = await rita.post("/v1/queue/hold/claim", params={"count": 3, "site": "b"})
    assert elsewhere.status_code == 409 and "review.max_claims" in elsewhere.json()["detail"]
    assert (await rita.delete("/v1/claims/c1")).status_code == 204
    one = await rita.post("/v1/queue/hold/claim", params={"count": 3})
    assert refs_of(one) == ["default:c0", "default:c1"]  # c0 renewed, one new place taken
    decided = await rita.post("/v1/comments/c0/decision", json={"decision": "approve"})
    assert decided.status_code == 200
    assert (await rita.post("/v1/claims/c4")).status_code == 200  # the decision freed a place
    assert (await bob.post("/v1/queue/hold/claim", params={"count": 5})).status_code == 200


async def test_bulk_is_not_held_back_by_the_cap(web: Web):
    for i in range(4):
        web.seeder.add(f"c{i}")
    rita = await web.bearer(name="rita")
    items = [{"id": f"c{i}"} for i in range(4)]
    r = await rita.post("/v1/bulk", json={"decision": "approve", "items": items})
    assert r.status_code == 200 and len(r.json()["decided"]) == 4


async def test_the_ui_says_so_when_next_would_pass_the_cap(web: Web):
    for i in range(3):
        web.seeder.add(f"c{i}", priority=0.9 - i / 10)
    rita = await web.session("rita")
    form = {"back": "queue=hold", "csrf": rita.csrf}
    after = {}
    for i in range(2):
        claimed = await rita.post("/ui/next", data={**form, **after})
        assert parse_qs(urlsplit(claimed.headers["location"]).query)["id"] == [f"c{i}"]
        after = {"after_id": f"c{i}"}
    capped = await rita.post("/ui/next", data={**form, **after})
    assert parse_qs(urlsplit(capped.headers["location"]).query)["notice"] == ["too-many-claims"]
    page = await rita.get(capped.headers["location"])
    assert "You hold as many claims as allowed" in page.text
