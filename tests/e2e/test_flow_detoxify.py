"""The whole path with Detoxify scoring (issue 9, item 16): signed webhook → real Redis → worker
scoring with the tiny Detoxify checkpoint → queue → reviewer decision → signed callback received
by a real HTTP server. Once through PyTorch, once through the checked ONNX int8 export (the
default path for any `detoxify:` model); every record and `scored` event names the model."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from moderator.bootstrap.scoring import build_scoring
from moderator.core.signing import HEADER, verify
from tests.conftest import CALLBACK_SECRET
from tests.e2e.harness import callback_server, live_moderator
from tests.fixtures.tiny_detoxify import TinyDetoxify

RETARD = "Listen to what the retard Freddy has to say about him"
RAID = "The police raid on the village was reported on the evening news."


@pytest.mark.parametrize(
    ("backend", "fixture", "model", "tolerance"),
    [
        ("torch", "tiny_detoxify", "detoxify-checkpoint", 1e-4),
        # int8 activations are quantised per batch: a comment's scores move a little with the
        # comments that share its batch (far inside the 0.02 the export is checked against).
        ("auto", "tiny_detoxify_int8", "detoxify-checkpoint-onnx-int8", 0.02),
    ],
)
def test_detoxify_scores_through_the_pipeline(
    backend: str,
    fixture: str,
    model: str,
    tolerance: float,
    request: pytest.FixtureRequest,
    make_settings,
    redis_client,
    tmp_path: Path,
) -> None:
    tiny: TinyDetoxify = request.getfixturevalue(fixture)
    with callback_server() as platform:
        settings = make_settings(
            model={
                "spec": f"detoxify:{tiny.checkpoint}",
                "hf_config": str(tiny.hf_config),
                "backend": backend,
                "cache_dir": str(tmp_path / "models"),
            },
            callback={"url": platform.url, "backoff_base_s": 0.05, "backoff_max_s": 0.2},
        )
        service = build_scoring(settings, log=lambda _: None)
        assert service.scorer.info.name == model
        expected = service.scorer.score([RETARD, RAID])
        with live_moderator(settings, service) as live:
            auth = {"Authorization": f"Bearer {live.token()}"}
            assert live.post({"id": "c1", "text": RETARD, "site": "blog"}).status_code == 202
            assert live.post({"id": "c2", "text": RAID, "site": "blog"}).status_code == 202
            records = [live.wait_for(lambda i=i: _scored(live.url, auth, i)) for i in ("c1", "c2")]
            decision = httpx.post(
                f"{live.url}/v1/comments/c1/decision",
                params={"site": "blog"},
                json={"decision": "reject", "reason": "slur"},
                headers=auth,
            )
            assert decision.status_code == 200, decision.text
            received = live.wait_for(
                lambda: len(platform.received) >= 3 and list(platform.received)
            )

    for body, want in zip(records, expected, strict=True):
        record = body["record"]
        assert record["model"]["name"] == model and not record["model"]["fallback"]
        assert record["model"]["version"] == service.scorer.info.version
        for label, score in want.items():
            assert record["scores"][label] == pytest.approx(score, abs=tolerance), label
    assert records[0]["state"] != "approved"  # the lexicon's slur is never approved
    events = {(c["json"]["event"], c["json"]["id"]): c for c in received}
    assert {e["json"]["model"]["name"] for k, e in events.items() if k[0] == "scored"} == {model}
    decided = events[("decided", "c1")]
    verify(
        CALLBACK_SECRET,
        decided["headers"][HEADER],
        decided["body"],
        now=time.time(),
        tolerance_s=60,
    )
    assert decided["json"]["decision"] == "reject" and decided["json"]["by"] == "alice"


def _scored(url: str, auth: dict, comment_id: str) -> dict | None:
    r = httpx.get(f"{url}/v1/comments/{comment_id}", params={"site": "blog"}, headers=auth)
    body = r.json()
    return body if r.status_code == 200 and body["state"] != "received" else None
