"""A simulated site: a labelled public data set posted through the signed webhook, scored by the
real worker, and its labels entered as people's decisions through the HTTP API: a reviewer's
decision for each comment the policy queued, the platform's own verdict (`platform-decision`)
for each it approved at once. Shared by the calibration test (tests/e2e/test_calibrated_site.py)
and `python -m bench calibration`.

Sets (from `../shared/data`): Spanish, the Latin-American gold standard (toxicity-es-latam,
protest tweets both coders agreed on: toxic → reject); English, Davidson et al. (hate or
offensive → reject, neither → approve). The first `per_class` of each class, in file order.
"""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

SITE = "sim"


@dataclass(frozen=True, slots=True)
class Labelled:
    id: str
    text: str
    language: str
    rejected: bool


def load_sets(shared: Path, per_class: int) -> list[Labelled]:
    return _spanish(shared, per_class) + _english(shared, per_class)


def _spanish(shared: Path, n: int) -> list[Labelled]:
    path = shared / "toxicity-es-latam" / "goldstd_protests.csv"
    with path.open(encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["coder_1"] == r["coder_2"]]
    return _balanced("es", ((r["text"], r["coder_1"] == "1") for r in rows), n)


def _english(shared: Path, n: int) -> list[Labelled]:
    path = shared / "davidson-hsol" / "labeled_data.csv"
    with path.open(encoding="utf-8") as f:
        return _balanced("en", ((r["tweet"], r["class"] != "2") for r in csv.DictReader(f)), n)


def _balanced(language: str, rows: Iterable[tuple[str, bool]], n: int) -> list[Labelled]:
    picked: dict[bool, list[str]] = {True: [], False: []}
    for text, rejected in rows:
        if len(picked[rejected]) < n and text.strip():
            picked[rejected].append(text)
    return [
        Labelled(f"{language}-{'r' if rejected else 'a'}{i:04d}", text, language, rejected)
        for rejected in (True, False)
        for i, text in enumerate(picked[rejected])
    ]


class Site:
    """The platform and the reviewers of one site, over HTTP."""

    def __init__(self, base_url: str, webhook_secret: str, reviewer: str, platform: str) -> None:
        self.url = base_url
        self.secret = webhook_secret
        self.reviewer = {"Authorization": f"Bearer {reviewer}"}
        self.platform = {"Authorization": f"Bearer {platform}"}
        self.http = httpx.Client(base_url=base_url, timeout=30)

    def close(self) -> None:
        self.http.close()

    def post(self, item: Labelled) -> None:
        from moderator.core.signing import HEADER, sign

        body = {"id": item.id, "text": item.text, "site": SITE, "language": item.language}
        raw = json.dumps(body, ensure_ascii=False).encode()
        headers = {
            "Content-Type": "application/json",
            HEADER: sign(self.secret, raw, int(time.time())),
        }
        r = self.http.post("/v1/comments", content=raw, headers=headers)
        if r.status_code != 202:
            raise RuntimeError(f"webhook answered {r.status_code}: {r.text}")

    def state(self, item: Labelled) -> dict[str, Any]:
        r = self.http.get(f"/v1/comments/{item.id}", params={"site": SITE}, headers=self.reviewer)
        r.raise_for_status()
        body: dict[str, Any] = r.json()
        return body

    def wait_scored(self, items: list[Labelled], timeout_s: float = 300) -> dict[str, str]:
        """Each comment's state once the worker has scored it (queued or approved)."""
        deadline = time.monotonic() + timeout_s
        states: dict[str, str] = {}
        while len(states) < len(items):
            for item in items:
                if item.id not in states:
                    state = self.state(item)["state"]
                    if state != "received":
                        states[item.id] = state
            if time.monotonic() > deadline:
                raise RuntimeError(f"{len(items) - len(states)} comments never scored")
            time.sleep(0.1)
        return states

    def decide(self, item: Labelled, state: str) -> str:
        """The label as a decision: a reviewer's on a queued comment, else the platform's."""
        decision = {"decision": "reject" if item.rejected else "approve"}
        path, headers = (
            ("decision", self.reviewer)
            if state == "queued"
            else ("platform-decision", self.platform)
        )
        r = self.http.post(
            f"/v1/comments/{item.id}/{path}", params={"site": SITE}, json=decision, headers=headers
        )
        if r.status_code != 200:
            raise RuntimeError(f"{path} on {item.id} answered {r.status_code}: {r.text}")
        return path


def run_site(site: Site, items: list[Labelled], threads: int = 4) -> dict[str, str]:
    """Post every comment, wait for the worker, decide each by its label; the states the
    policy left them in (queued or approved)."""
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(site.post, items))
        states = site.wait_scored(items)
        list(pool.map(lambda i: site.decide(i, states[i.id]), items))
    return states
