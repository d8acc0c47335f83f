"""Second opinions against a live server and a real Redis: blind questions, one answer each,
no change to the decision, disagreements for admins, kappa in /metrics, hostile requests."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx

from moderator.bootstrap import build_web
from moderator.web.app import create_app
from tests.web.live import make_token, serving
from tests.web.seeding import Seeder


def test_second_opinions_end_to_end(make_settings, redis_client):
    settings = make_settings(review={"second_opinion_rate": 1.0})
    seeder = Seeder(redis_client)
    for cid in ("c1", "c2", "c3"):
        seeder.add(
            cid,
            f"text of {cid}",
            matches=[
                {
                    "term": "idiot",
                    "match": "idiot",
                    "category": "insult",
                    "severity": 2,
                    "start": 0,
                    "end": 5,
                }
            ],
        )
    rita = {"Authorization": f"Bearer {make_token(settings.redis_url, 'rita')}"}
    bob = {"Authorization": f"Bearer {make_token(settings.redis_url, 'bob')}"}
    admin = {"Authorization": f"Bearer {make_token(settings.redis_url, 'ada', 'admin')}"}
    with (
        serving(create_app(build_web(settings, settings.redis_url))) as url,
        httpx.Client(base_url=url) as http,
    ):
        for cid, decision in (("c1", "reject"), ("c2", "reject"), ("c3", "approve")):
            r = http.post(f"/v1/comments/{cid}/decision", json={"decision": decision}, headers=rita)
            assert r.status_code == 200, r.text
        undo = http.post(
            "/v1/undo",
            json={"items": [{"site": "default", "id": "c3", "version": 1}]},
            headers=rita,
        )
        assert undo.status_code == 200, undo.text

        assert http.get("/v1/second-opinions/next", headers=rita).status_code == 204  # her own
        question = http.get("/v1/second-opinions/next", headers=bob)
        assert question.status_code == 200 and question.json()["ref"] == "default:c1"
        assert "reject" not in question.text and "rita" not in question.text  # blind
        assert set(question.json()) == {"ref", "comment", "record"}

        assert (
            http.post(
                "/v1/second-opinions/c1", json={"decision": "reject"}, headers=rita
            ).status_code
            == 403
        )
        first = http.post("/v1/second-opinions/c1", json={"decision": "approve"}, headers=bob)
        assert first.status_code == 200 and first.json()["agree"] is False
        assert (
            http.post(
                "/v1/second-opinions/c1", json={"decision": "approve"}, headers=bob
            ).status_code
            == 404
        )
        assert (
            http.post(
                "/v1/second-opinions/c3", json={"decision": "approve"}, headers=bob
            ).status_code
            == 409
        )  # undone since: dropped

        with ThreadPoolExecutor(30) as pool:
            codes = list(
                pool.map(
                    lambda _: (
                        http.post(
                            "/v1/second-opinions/c2", json={"decision": "reject"}, headers=bob
                        ).status_code
                    ),
                    range(30),
                )
            )
        assert sorted(codes) == [200] + [404] * 29

        for body, code in (
            ({"decision": "reject", "extra": 1}, 422),
            ({"decision": "escalate"}, 422),
        ):
            assert http.post("/v1/second-opinions/c2", json=body, headers=bob).status_code == code
        bad_utf8 = http.post(
            "/v1/second-opinions/c2",
            content=b'{"decision": "\xff"}',
            headers={**bob, "Content-Type": "application/json"},
        )
        assert bad_utf8.status_code in (400, 422)
        long_id = http.post(
            "/v1/second-opinions/" + "x" * 20_000, json={"decision": "reject"}, headers=bob
        )
        assert long_id.status_code in (404, 414, 422)
        assert (
            http.get("/v1/second-opinions/next", headers={"Authorization": "Bearer"}).status_code
            == 401
        )

        assert http.get("/v1/comments/c1", headers=rita).json()["state"] == "rejected"
        listed = http.get("/v1/admin/second-opinions/disagreements", headers=admin)
        assert http.get("/v1/admin/second-opinions/disagreements", headers=bob).status_code == 403
        metrics = http.get("/metrics").text
    (one,) = listed.json()["disagreements"]
    assert (one["ref"], one["first_by"], one["first"], one["second_by"], one["second"]) == (
        "default:c1",
        "rita",
        "reject",
        "bob",
        "approve",
    )
    assert one["categories"] == ["insult"]
    assert 'moderator_reviewer_agreement{reviewer="bob"} 0.5000' in metrics
    assert 'moderator_agreement_pair_kappa{first="bob",second="rita"}' in metrics
    assert "moderator_second_opinions_waiting 0" in metrics


def test_the_second_opinion_page_is_blind_escaped_and_csrf_checked(make_settings, redis_client):
    from tests.web.conftest import csrf_of
    from tests.web.live import add_user, login

    settings = make_settings(review={"second_opinion_rate": 1.0})
    Seeder(redis_client).add("c1", "<script>alert(1)</script> you idiot")
    rita = {"Authorization": f"Bearer {make_token(settings.redis_url, 'rita')}"}
    add_user(settings.redis_url, "bob")
    with serving(create_app(build_web(settings, settings.redis_url))) as url:
        decided = httpx.post(
            f"{url}/v1/comments/c1/decision", json={"decision": "reject"}, headers=rita
        )
        assert decided.status_code == 200
        with httpx.Client(base_url=url) as bob:
            login(bob, "bob")
            page = bob.get("/ui/second")
            assert page.status_code == 200
            assert "&lt;script&gt;alert(1)" in page.text and "<script>alert(1)" not in page.text
            assert '<a href="/ui/second">Second opinions</a>' in page.text  # the rate is on
            assert "reject" not in page.text.split("<form", 1)[0].lower().replace("reject it", "")
            form = {"ref": "default:c1", "decision": "approve"}
            assert bob.post("/ui/second", data=form).status_code == 403  # no CSRF token
            done = bob.post("/ui/second", data={**form, "csrf": csrf_of(page.text)})
            assert done.status_code == 303 and done.headers["location"].endswith("disagree")
            again = bob.post("/ui/second", data={**form, "csrf": csrf_of(page.text)})
            assert again.headers["location"].endswith("error=1")
            assert "No comment awaits your second opinion." in bob.get("/ui/second").text
