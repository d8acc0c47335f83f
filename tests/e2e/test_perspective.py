"""The Perspective-compatible API end to end: a real uvicorn server, a real worker thread
scoring with the tiny Detoxify checkpoint (ONNX int8 path) over the sync path through Redis,
Google's own client (google-api-python-client) built from our discovery document, Coral Talk's
exact requests (tests/fixtures/perspective/SOURCE.md), and hostile input against the server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httplib2
import httpx
import pytest
import redis
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from moderator import keys
from moderator.bootstrap.scoring import build_scoring
from moderator.integrations.perspective import text_digest
from tests.e2e.harness import Live, live_moderator
from tests.fixtures.tiny_detoxify import TinyDetoxify

FIXTURES = Path(__file__).parent.parent / "fixtures" / "perspective"
CORAL_ANALYZE = json.loads((FIXTURES / "coral_analyze.json").read_text())
CORAL_SUGGEST = json.loads((FIXTURES / "coral_suggestscore.json").read_text())
ATTRIBUTES = (
    "TOXICITY",
    "SEVERE_TOXICITY",
    "IDENTITY_ATTACK",
    "INSULT",
    "PROFANITY",
    "THREAT",
    "SEXUALLY_EXPLICIT",
)


@pytest.fixture(scope="module")
def live_perspective(
    tiny_detoxify_int8: TinyDetoxify, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Live, str]]:
    from moderator.settings import load_settings
    from tests.conftest import CALLBACK_SECRET, SESSION_SECRET, WEBHOOK_SECRET

    tmp = tmp_path_factory.mktemp("perspective")
    settings = load_settings(
        redis_url=redis_url,
        data_dir=tmp / "var",
        webhook={"secret": WEBHOOK_SECRET},
        ui={"session_secret": SESSION_SECRET},
        callback={"secret": CALLBACK_SECRET},
        worker={"batch_size": 8, "batch_wait_ms": 20, "block_ms": 50, "claim_idle_ms": 200},
        model={
            "spec": f"detoxify:{tiny_detoxify_int8.checkpoint}",
            "hf_config": str(tiny_detoxify_int8.hf_config),
            "cache_dir": str(tmp / "models"),
        },
        # a loaded CI machine: the answer may take a while, never a flaky 503
        perspective={"timeout_s": 4.0, "rate_per_minute": 1000},
    )
    redis.Redis.from_url(redis_url).flushdb()
    service = build_scoring(settings, log=lambda _: None)
    assert service.scorer.info.name == "detoxify-checkpoint-onnx-int8"
    with live_moderator(settings, service) as live:
        yield live, live.token("platform", "coral")
    redis.Redis.from_url(redis_url).flushdb()


@contextmanager
def google_client(live: Live, key: str) -> Iterator[Any]:
    """Google's client, built from our discovery document; its connections closed after."""
    http = httplib2.Http(timeout=60)
    try:
        yield build(
            "commentanalyzer",
            "v1alpha1",
            developerKey=key,
            discoveryServiceUrl=f"{live.url}/$discovery/rest?version={{apiVersion}}",
            static_discovery=False,
            cache_discovery=False,
            http=http,
        )
    finally:
        http.close()


def analyze_url(live: Live, key: str, op: str = "analyze") -> str:
    return f"{live.url}/v1alpha1/comments:{op}?key={key}"


def test_googles_client_analyzes_and_suggests_through_the_discovery_document(
    live_perspective: tuple[Live, str],
) -> None:
    live, key = live_perspective
    with google_client(live, key) as client:
        _analyze_and_suggest(live, client)


def _analyze_and_suggest(live: Live, client: Any) -> None:
    text = "Google's client says hello to the moderator"
    request = {
        "comment": {"text": text},
        "requestedAttributes": {name: {} for name in ATTRIBUTES},
        "languages": ["en"],
        "doNotStore": False,
    }
    answer = client.comments().analyze(body=request).execute()
    assert set(answer["attributeScores"]) == set(ATTRIBUTES)
    for scores in answer["attributeScores"].values():
        assert 0.0 <= scores["summaryScore"]["value"] <= 1.0
        assert scores["summaryScore"]["type"] == "PROBABILITY"
    assert answer["detectedLanguages"] == ["en"]
    suggestion = {
        "comment": {"text": text},
        "attributeScores": {"TOXICITY": {"summaryScore": {"value": 0}}},
        "clientToken": "comment:g-1",
    }
    assert client.comments().suggestscore(body=suggestion).execute()["clientToken"] == (
        "comment:g-1"
    )
    stored = live.wait_for(lambda: _comment(live, text).get("state") == "approved")
    assert stored
    with pytest.raises(HttpError) as caught:
        bad = {**request, "requestedAttributes": {"FLIRTATION": {}}}
        client.comments().analyze(body=bad).execute()
    assert caught.value.resp.status == 400
    assert json.loads(caught.value.content)["error"]["status"] == "INVALID_ARGUMENT"


def test_a_bad_key_is_refused_to_googles_client(live_perspective: tuple[Live, str]) -> None:
    live, _ = live_perspective
    body = {"comment": {"text": "hi"}, "requestedAttributes": {"TOXICITY": {}}}
    with google_client(live, "not-a-key") as client, pytest.raises(HttpError) as caught:
        client.comments().analyze(body=body).execute()
    assert caught.value.resp.status == 403
    assert json.loads(caught.value.content)["error"]["status"] == "PERMISSION_DENIED"


def _comment(live: Live, text: str) -> dict[str, Any]:
    client = redis.Redis.from_url(live.settings.redis_url, decode_responses=True)
    try:
        return dict(client.hgetall(keys.comment(f"perspective:{text_digest(text)}")))
    finally:
        client.close()


def test_corals_exact_requests(live_perspective: tuple[Live, str]) -> None:
    live, key = live_perspective
    headers = {"Content-Type": "application/json"}
    r = httpx.post(
        analyze_url(live, key), content=json.dumps(CORAL_ANALYZE), headers=headers, timeout=30
    )
    assert r.status_code == 200, r.text
    value = r.json()["attributeScores"]["TOXICITY"]["summaryScore"]["value"]
    assert 0.0 <= value <= 1.0
    # "idiot" is a lexicon insult used at a person: the policy sends it to review at least
    assert value >= 0.5
    text = CORAL_ANALYZE["comment"]["text"]
    assert _comment(live, text)["state"] == "analyzed"
    r = httpx.post(
        analyze_url(live, key, "suggestscore"),
        content=json.dumps(CORAL_SUGGEST),
        headers=headers,
        timeout=30,
    )
    assert r.status_code == 200, r.text
    stored = _comment(live, text)
    assert stored["state"] == "rejected"
    decision = json.loads(stored["decision"])
    assert decision["by"] == "platform:coral"
    assert "6f1c2a7e-3b5d-4c1e-9a8f-2d7b5e4c3a10" in decision["note"]


def test_hostile_input_against_the_server(live_perspective: tuple[Live, str]) -> None:
    live, key = live_perspective
    url = analyze_url(live, key)
    long = {"comment": {"text": "word " * 4000}, "requestedAttributes": {"TOXICITY": {}}}
    assert len(long["comment"]["text"]) == 20_000  # type: ignore[index]
    r = httpx.post(url, json=long, timeout=60)
    assert r.status_code == 200, r.text
    too_long = {"comment": {"text": "x" * 20_001}, "requestedAttributes": {"TOXICITY": {}}}
    assert httpx.post(url, json=too_long, timeout=30).status_code == 400
    for raw in (b"{not json", b'{"comment": {"text": "\xff\xfe"}}', b"\x00" * 100):
        r = httpx.post(url, content=raw, headers={"Content-Type": "application/json"}, timeout=30)
        assert r.status_code == 400 and r.json()["error"]["status"] == "INVALID_ARGUMENT"
    r = httpx.post(
        f"{live.url}/v1alpha1/comments:analyze",
        content=b"{}",
        headers={"X-Goog-Api-Key": b"\xff\xfe-not-a-key"},  # not UTF-8: a malformed header
        timeout=30,
    )
    assert r.status_code == 403

    def one(i: int) -> int:
        body = {"comment": {"text": f"parallel comment number {i}"}, "requestedAttributes": {}}
        body["requestedAttributes"] = {"TOXICITY": {}, "INSULT": {}}
        return httpx.post(url, json={**body, "doNotStore": True}, timeout=60).status_code

    with ThreadPoolExecutor(30) as pool:
        codes = list(pool.map(one, range(30)))
    assert codes == [200] * 30
    assert live.worker.sync.answered >= 30
