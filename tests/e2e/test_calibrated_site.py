"""The proof of issue 13 section 3: a simulated site (bench/site_sim.py) on the real stack.

400 labelled public comments (Spanish: the Latin-American gold standard; English: Davidson) go
through the signed webhook to a real worker (offline model + lexicons + the packaged policy);
their labels come back as people's decisions through the HTTP API (reviewers on what the policy
queued, the platform on what it approved). Then `moderator backtest` must equal this test's own
count over the stored records, `moderator calibrate --apply` must put each language's toxicity
review threshold at the set's optimum (found here by brute force) or say the target is out of
reach, and the worker must score the next comment with the calibrated version.

Needs the shared data sets (tests/evaluation/test_targets.py says where they are looked for).
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from bench.site_sim import SITE, Labelled, Site, load_sets, run_site
from moderator import bootstrap, keys
from moderator.adapters.redis.policies import RedisPolicies
from moderator.cli import main
from tests.e2e.harness import live_moderator
from tests.e2e.live_app import offline_service_fixture  # noqa: F401 (fixture by name)
from tests.evaluation.test_targets import SHARED

PER_CLASS = 100
TARGET = 0.95
TUNED = "toxicity-review"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not SHARED.is_dir(), reason=f"no shared data at {SHARED} (set MODERATOR_SHARED_DATA)"
    ),
]


def rule_of(reason: str) -> str:
    return reason.split(": rule ", 1)[1].split(":", 1)[0]


def sent(record: dict, threshold: float) -> bool:
    """This test's own reading of a record: some rule other than the tuned one sent it, or its
    toxicity reaches `threshold`."""
    others = any(rule_of(r) != TUNED and not r.startswith("approve") for r in record["reasons"])
    return others or (record["scores"]["toxicity"] or 0.0) >= threshold - 1e-9


def count(items: list[Labelled], records: dict, thresholds: dict[str, float], days: int) -> dict:
    """The backtest figures, counted the simple way, per language."""
    out = {}
    for lang in ("en", "es"):
        mine = [i for i in items if i.language == lang]
        rejected = [i for i in mine if i.rejected]
        approved = [i for i in mine if not i.rejected]
        flagged = [i for i in mine if sent(records[i.id], thresholds[lang])]
        caught = [i for i in flagged if i.rejected]
        out[lang] = {
            "decided": len(mine),
            "per_day_review": len(flagged) / days,
            "miss": 1 - len(caught) / len(rejected),
            "false_hold": sum(records[i.id]["action"] == "hold" for i in approved) / len(approved),
            "precision": len(caught) / len(flagged) if flagged else None,
        }
    return out


def optimum(items: list[Labelled], records: dict, lang: str) -> float | None:
    """The highest toxicity threshold on calibrate's grid (0.05 .. 0.95) that still reaches
    the target recall: with one tuned label, the least workload. None: out of reach."""
    rejected = [i for i in items if i.language == lang and i.rejected]
    best = None
    for step in range(5, 96):
        t = step / 100
        if sum(sent(records[i.id], t) for i in rejected) / len(rejected) >= TARGET:
            best = t
    return best


def backtest_json(capsys) -> dict:
    capsys.readouterr()
    assert main(["backtest", "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)["current"]


def check(report: dict, expected: dict) -> None:
    window = report["window"]
    assert window["since"] == window["until"] or date.fromisoformat(window["until"])
    for lang, want in expected.items():
        got = report["by_language"][lang]
        assert got["decided"] == want["decided"]
        assert got["per_day_review"] == pytest.approx(want["per_day_review"])
        assert got["miss_rate"]["value"] == pytest.approx(want["miss"])
        assert got["miss_rate"]["low"] <= want["miss"] <= got["miss_rate"]["high"]
        assert got["false_hold_rate"] == pytest.approx(want["false_hold"])
        assert got["precision"]["review"] == pytest.approx(want["precision"])


def test_backtest_counts_and_calibrate_finds_the_optimum(
    make_settings, offline_service, redis_client, redis_url, monkeypatch, capsys
):
    items = load_sets(SHARED, PER_CLASS)
    assert len(items) == 4 * PER_CLASS
    settings = make_settings(policy={"reload_s": 0.1})
    monkeypatch.setenv("MODERATOR_REDIS_URL", redis_url)
    original = offline_service.policy
    with live_moderator(settings, offline_service) as live:
        live.worker.reloader = bootstrap.attach_policies(
            settings, live.worker.consumer.client, offline_service
        )
        site = Site(live.url, settings.webhook.secret, live.token(), live.token("platform", "cms"))
        try:
            proof(site, items, redis_client, original, capsys)
        finally:
            site.close()
    offline_service.policy = original


def proof(site: Site, items: list[Labelled], redis_client, original, capsys) -> None:
    """Everything after the site is up: decisions, backtest, calibrate, the next comment."""
    states = run_site(site, items)
    assert set(states.values()) <= {"queued", "approved"}
    records = {
        i.id: json.loads(redis_client.hget(keys.comment(f"{SITE}:{i.id}"), "record")) for i in items
    }
    assert {r["policy_version"] for r in records.values()} == {original.version}

    before = backtest_json(capsys)
    days = (
        date.fromisoformat(before["window"]["until"])
        - date.fromisoformat(before["window"]["since"])
    ).days + 1
    assert before["decided"] == len(items) and before["policy"] == original.version
    check(before, count(items, records, {"en": 0.5, "es": 0.5}, days))

    assert (
        main(
            [
                "calibrate",
                "--target-recall",
                str(TARGET),
                "--apply",
                "--by",
                "sim",
                "--why",
                "simulated site",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    policies = RedisPolicies(redis_client)
    calibrated = policies.current()
    assert calibrated is not None and calibrated.version.startswith(original.version + "+cal")
    assert policies.log()[-1]["by"] == "sim" and policies.log()[-1]["why"] == "simulated site"
    rules = {r.name: r for r in calibrated.policy.rules}
    thresholds = {}
    for lang in ("en", "es"):
        best = optimum(items, records, lang)
        own = rules.get(f"{TUNED}-{lang}")
        if best is None:
            assert own is None and f"{lang}: recall {TARGET:.2f} is out of reach" in out
            thresholds[lang] = 0.5
        elif best == pytest.approx(0.5):
            assert own is None
            thresholds[lang] = 0.5
        else:
            assert own is not None and own.min == pytest.approx(best)
            assert lang in rules[TUNED].scope.except_languages
            thresholds[lang] = own.min
    assert thresholds != {"en": 0.5, "es": 0.5}, out  # the offline model moves English

    after = backtest_json(capsys)
    assert after["policy"] == calibrated.version
    check(after, count(items, records, thresholds, days))

    extra = Labelled("en-next", "You are a total idiot and a liar", "en", True)
    site.post(extra)
    site.wait_scored([extra])
    record = json.loads(redis_client.hget(keys.comment(f"{SITE}:en-next"), "record"))
    assert record["policy_version"] == calibrated.version
