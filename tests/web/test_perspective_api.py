"""The Perspective-compatible endpoints in process on a real Redis, scoring by the lexicon and
policy in the API process (`perspective.scoring = "lexicon"`, no worker): the colon routes,
keys and roles (checked before the body), Google-shaped errors, the rate limit, storing and
joining a platform's suggestion. The worker path, real servers and Google's client are in
tests/e2e/test_perspective.py."""

from __future__ import annotations

import io
import json
import time
from collections.abc import AsyncIterator

import pytest
import redis

from moderator import keys
from moderator.bootstrap import build_web
from moderator.commands.export import write
from moderator.integrations.perspective import text_digest
from moderator.web.app import create_app
from tests.web.conftest import Web
from tests.web.seeding import Seeder

pytestmark = pytest.mark.anyio
ANALYZE = "/v1alpha1/comments:analyze"
SUGGEST = "/v1alpha1/comments:suggestscore"
INSULT = "You are a complete idiot and a moron."


@pytest.fixture
async def web(make_settings, redis_client: redis.Redis) -> AsyncIterator[Web]:
    settings = make_settings(perspective={"scoring": "lexicon", "rate_per_minute": 50})
    app = create_app(build_web(settings, settings.redis_url, deliver=False))
    running = Web(app, app.state.services, Seeder(redis_client))
    yield running
    for c in running.clients:
        await c.aclose()
    await running.services.aclose()


async def key(web: Web, role: str = "platform", name: str = "coral") -> str:
    token: str = await web.services.auth.create_token(name, role)
    return token


def body(text: str = INSULT, **fields: object) -> dict[str, object]:
    return {"comment": {"text": text}, "requestedAttributes": {"TOXICITY": {}}, **fields}


async def test_the_colon_route_answers_perspectives_shape(web: Web) -> None:
    c = web.client()
    r = await c.post(
        ANALYZE,
        params={"key": await key(web), "alt": "json"},
        json=body(
            requestedAttributes={"TOXICITY": {}, "INSULT": {}, "THREAT": {}},
            languages=["en"],
            clientToken="abc",
            spanAnnotations=True,
        ),
    )
    assert r.status_code == 200, r.text
    out = r.json()
    assert set(out["attributeScores"]) == {"TOXICITY", "INSULT", "THREAT"}
    insult = out["attributeScores"]["INSULT"]
    assert insult["summaryScore"]["type"] == "PROBABILITY"
    assert insult["summaryScore"]["value"] >= 0.5
    spans = insult["spanScores"]
    assert spans and all(INSULT[s["begin"] : s["end"]].lower() in INSULT.lower() for s in spans)
    assert "idiot" in [INSULT[s["begin"] : s["end"]].lower() for s in spans]
    assert out["attributeScores"]["THREAT"]["summaryScore"]["value"] == 0.0
    assert out["detectedLanguages"] == ["en"] and out["clientToken"] == "abc"


async def test_the_key_may_come_as_a_header(web: Web) -> None:
    c = web.client(**{"X-Goog-Api-Key": await key(web)})
    r = await c.post(ANALYZE, json=body("What a lovely afternoon by the lake."))
    assert r.status_code == 200
    assert r.json()["attributeScores"]["TOXICITY"]["summaryScore"]["value"] < 0.5


@pytest.mark.parametrize("token", [None, "not-a-token", "reviewer"])
async def test_a_bad_key_is_permission_denied_before_the_body_is_read(
    web: Web, token: str | None
) -> None:
    params = {}
    if token == "reviewer":
        params["key"] = await key(web, "reviewer", "rita")
    elif token:
        params["key"] = token
    r = await web.client().post(ANALYZE, params=params, content=b"{not json at all")
    assert r.status_code == 403
    assert r.json()["error"]["status"] == "PERMISSION_DENIED"
    assert r.json()["error"]["code"] == 403


async def test_an_admin_key_is_admitted(web: Web) -> None:
    r = await web.client().post(
        ANALYZE, params={"key": await key(web, "admin", "ops")}, json=body()
    )
    assert r.status_code == 200


@pytest.mark.parametrize(
    ("attributes", "word"),
    [({"FLIRTATION": {}}, "FLIRTATION"), ({"SEVERE_TOXICITY": {}}, "SEVERE_TOXICITY")],
)
async def test_an_unsupported_attribute_is_invalid_argument(
    web: Web, attributes: dict[str, object], word: str
) -> None:
    r = await web.client().post(
        ANALYZE, params={"key": await key(web)}, json=body(requestedAttributes=attributes)
    )
    assert r.status_code == 400
    assert r.json()["error"]["status"] == "INVALID_ARGUMENT"
    assert word in r.json()["error"]["message"]


@pytest.mark.parametrize(
    "raw",
    [
        b"{not json",
        b'{"comment": {"text": "\xff\xfe bad utf-8"}, "requestedAttributes": {"TOXICITY": {}}}',
        json.dumps(body(unknownField=1)).encode(),
        json.dumps(body("x" * 20_001)).encode(),
    ],
)
async def test_bad_bodies_are_invalid_argument_and_store_nothing(
    web: Web, redis_client: redis.Redis, raw: bytes
) -> None:
    r = await web.client().post(
        ANALYZE,
        params={"key": await key(web)},
        content=raw,
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 400, r.text
    assert r.json()["error"]["status"] == "INVALID_ARGUMENT"
    assert not redis_client.keys(keys.comment("*"))


async def test_a_token_past_its_rate_is_resource_exhausted(web: Web) -> None:
    for attempt in range(2):  # the limit is per clock minute: again if a minute began meanwhile
        c = web.client(**{"X-Goog-Api-Key": await key(web, name=f"coral-{attempt}")})
        minute = int(time.time() // 60)
        codes = [(await c.post(ANALYZE, json=body("fine words"))).status_code for _ in range(51)]
        if int(time.time() // 60) == minute:
            break
    assert codes[:50] == [200] * 50
    assert codes[50] == 429
    last = await c.post(ANALYZE, json=body("fine words"))
    assert last.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
    other = web.client(**{"X-Goog-Api-Key": await key(web, name="other-site")})
    assert (await other.post(ANALYZE, json=body("fine words"))).status_code == 200


async def test_do_not_store_keeps_only_counters(web: Web, redis_client: redis.Redis) -> None:
    c = web.client(**{"X-Goog-Api-Key": await key(web)})
    assert (await c.post(ANALYZE, json=body(doNotStore=True))).status_code == 200
    assert not redis_client.keys(keys.comment("*"))
    assert redis_client.hget(keys.PERSPECTIVE_COUNTERS, "analyze_not_stored") == "1"


async def test_a_suggestion_joins_the_stored_comment_as_a_platform_decision(
    web: Web, redis_client: redis.Redis
) -> None:
    c = web.client(**{"X-Goog-Api-Key": await key(web)})
    assert (await c.post(ANALYZE, json=body(doNotStore=False))).status_code == 200
    ref = f"perspective:{text_digest(INSULT)}"
    stored = redis_client.hgetall(keys.comment(ref))
    assert stored["state"] == "analyzed" and json.loads(stored["comment"])["text"] == INSULT
    assert redis_client.pttl(keys.comment(ref)) > 0
    assert not redis_client.zcard(keys.queue("review")) and not redis_client.zcard(
        keys.queue("hold")
    )
    suggestion = {
        "comment": {"text": "  " + INSULT + "\n"},  # the same text, differently spaced
        "context": {"entries": [{"text": json.dumps({"Coral_comment_id": "c-42"})}]},
        "attributeScores": {"TOXICITY": {"summaryScore": {"value": 1}}},
        "languages": ["en"],
        "communityId": "Coral:https://talk.example.org",
        "clientToken": "comment:c-42",
    }
    r = await c.post(SUGGEST, json=suggestion)
    assert r.status_code == 200 and r.json()["clientToken"] == "comment:c-42"
    decided = redis_client.hgetall(keys.comment(ref))
    assert decided["state"] == "rejected"
    assert json.loads(decided["decision"])["by"] == "platform:coral"
    out = io.StringIO()
    assert await write(web.services.audit, out, "jsonl", None, None) == 1
    exported = json.loads(out.getvalue())
    assert exported["decision"] == "reject" and exported["by"] == "platform:coral"
    assert exported["text"] == INSULT
    assert "c-42" in (exported.get("note") or json.loads(decided["decision"])["note"])


async def test_a_suggestion_without_a_stored_comment_is_counted(
    web: Web, redis_client: redis.Redis
) -> None:
    c = web.client(**{"X-Goog-Api-Key": await key(web)})
    suggestion = {
        "comment": {"text": "never analyzed"},
        "attributeScores": {"TOXICITY": {"summaryScore": {"value": 0}}},
    }
    assert (await c.post(SUGGEST, json=suggestion)).status_code == 200
    assert redis_client.hget(keys.PERSPECTIVE_COUNTERS, "suggest_unjoined") == "1"
    assert not redis_client.xlen(keys.AUDIT_STREAM)


async def test_the_openapi_document_leaves_the_perspective_routes_out(web: Web) -> None:
    paths = (await web.client().get("/openapi.json")).json()["paths"]
    assert paths and not any(path.startswith("/v1alpha1") for path in paths)


async def test_the_discovery_document_is_rooted_at_this_server(web: Web) -> None:
    r = await web.client().get("/$discovery/rest", params={"version": "v1alpha1"})
    assert r.status_code == 200
    doc = r.json()
    assert doc["rootUrl"] == "http://test/" and doc["name"] == "commentanalyzer"
    methods = doc["resources"]["comments"]["methods"]
    assert methods["analyze"]["path"] == "v1alpha1/comments:analyze"
    assert (await web.client().get("/$discovery/rest?version=v2")).status_code == 404


async def test_without_a_worker_the_answer_is_unavailable_and_nothing_is_kept(
    make_settings, redis_client: redis.Redis
) -> None:
    settings = make_settings(perspective={"scoring": "worker", "timeout_s": 0.3})
    app = create_app(build_web(settings, settings.redis_url, deliver=False))
    web = Web(app, app.state.services, Seeder(redis_client))
    try:
        c = web.client(**{"X-Goog-Api-Key": await key(web)})
        r = await c.post(ANALYZE, json=body())
        assert r.status_code == 503
        assert r.json()["error"]["status"] == "UNAVAILABLE"
        assert "worker" in r.json()["error"]["message"]
        assert not redis_client.keys(keys.comment("*"))
        assert redis_client.xlen(keys.SYNC_STREAM) == 1  # the request, for no one: trimmed later
    finally:
        for client in web.clients:
            await client.aclose()
        await web.services.aclose()


async def test_the_discovery_root_follows_the_host_and_a_trusted_proxys_scheme(web: Web) -> None:
    r = await web.client().get(
        "/$discovery/rest?version=v1alpha1",
        headers={"Host": "talk-scores.example.org", "X-Forwarded-Proto": "https"},
    )
    assert r.json()["rootUrl"] == "https://talk-scores.example.org/"


async def test_a_policy_version_applied_later_reaches_the_lexicon_answers(
    make_settings, redis_client: redis.Redis
) -> None:
    """`moderator policy apply` (or `calibrate --apply`) reaches scoring in the API process
    within `policy.reload_s`, as it reaches the workers (web/current_policy.py)."""
    import dataclasses

    from moderator.adapters.redis.policies import RedisPolicies
    from moderator.core.models import Action
    from moderator.core.policy import Rule, load_policy

    settings = make_settings(perspective={"scoring": "lexicon"}, policy={"reload_s": 0.05})
    app = create_app(build_web(settings, settings.redis_url, deliver=False))
    web = Web(app, app.state.services, Seeder(redis_client))
    try:
        token = await key(web)

        async def toxicity() -> float:
            r = await web.client().post(ANALYZE, params={"key": token}, json=body())
            assert r.status_code == 200, r.text
            return float(r.json()["attributeScores"]["TOXICITY"]["summaryScore"]["value"])

        before = await toxicity()
        assert before < 0.9  # the packaged policy sends an insult to review, it does not hold
        policy = load_policy(settings.path(settings.policy.path))
        stricter = dataclasses.replace(
            policy,
            version=policy.version + "-strict",
            rules=(Rule("hold-every-term", Action.HOLD, category="*"), *policy.rules),
        )
        policies = RedisPolicies(redis_client)
        policies.seed(policy, "test")
        policies.apply(stricter, "test", "hold every lexicon term")
        time.sleep(0.1)  # past reload_s
        assert await toxicity() == pytest.approx(0.9, abs=0.1)  # held: TOXICITY raised to 0.9
    finally:
        for c in web.clients:
            await c.aclose()
        await web.services.aclose()
