"""`moderator models train --from-decisions`: a site model from a small decisions export (and
from the audit log in a real Redis), versioned, written to the data dir, loadable, learning the
site's own word; one-sentence errors for too few decisions and a missing file."""

from __future__ import annotations

import asyncio
import csv
import json
import re
from pathlib import Path

import numpy as np
import pytest

from moderator.adapters.redis.client import connect_async
from moderator.adapters.redis.review import RedisReviewStore
from moderator.adapters.scoring.site_model import SiteScorer
from moderator.cli import main
from moderator.commands.export import FIELDS
from moderator.core.models import Decision
from tests.web.seeding import Seeder, now_ms, seeder_fixture  # noqa: F401 (fixtures by name)

# This site's regulars call each other "blorft" and "zarpado" (made-up slang the public data never
# saw); its reviewers reject those. Approved comments are ordinary talk about the same threads.
NAMES = ["Pedro", "Ana", "the mayor", "Luis", "that guy", "your cousin", "el concejal", "María"]
REJECTED = [
    "{n} is a total blorft",
    "shut it, blorft",
    "{n}, what a blorft move",
    "qué zarpado es {n}",
    "{n} es un zarpado de mierda",
]
APPROVED = [
    "{n} made a fair point about the budget",
    "thanks {n}, good reporting",
    "{n} spoke at the council meeting yesterday",
    "gracias {n} por el artículo",
    "{n} tiene razón sobre el presupuesto",
]


def decisions() -> list[dict[str, object]]:
    """Export rows, oldest first: 40 rejected, 40 approved, one rejected-then-undone (left
    out) and one platform decision (counted)."""
    rows: list[dict[str, object]] = []
    n = 0
    for templates, decision, state in (
        (REJECTED, "reject", "rejected"),
        (APPROVED, "approve", "approved"),
    ):
        for t in templates:
            for name in NAMES:
                n += 1
                rows.append(_row(f"c{n}", t.format(n=name), decision, state, "rita", n))
    rows.append(_row("u1", "blorft blorft blorft", "reject", "rejected", "rita", 900))
    rows.append(_row("u1", "blorft blorft blorft", "undo", "queued", "rita", 901))
    rows.append(_row("p1", "a platform approved this", "approve", "approved", "platform:wp", 902))
    return rows


def _row(cid: str, text: str, decision: str, state: str, by: str, minute: int) -> dict[str, object]:
    row: dict[str, object] = dict.fromkeys(FIELDS)
    row.update(
        at=f"2026-11-{1 + minute // 1440:02d}T{minute // 60 % 24:02d}:{minute % 60:02d}:00+00:00",
        site="news",
        id=cid,
        decision=decision,
        state=state,
        by=by,
        text=text,
        language="es" if any(w in text for w in ("qué", "es un", "gracias", "tiene")) else "en",
    )
    return row


def write_jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def trained_path(out: str) -> Path:
    found = re.search(r"Wrote (\S+) ", out)
    assert found, out
    return Path(found.group(1))


def test_trains_a_versioned_site_model_into_the_data_dir(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_jsonl(tmp_path / "decisions.jsonl", decisions())
    data_dir = tmp_path / "var"

    args = ["models", "train", "--from-decisions", str(source), "--data-dir", str(data_dir)]
    assert main(args) == 0
    out = capsys.readouterr().out
    path = trained_path(out)

    assert path.parent == data_dir / "models" and path.is_file()
    version = re.fullmatch(r"site-(\d{4}\.\d{2}\.\d{2})-([0-9a-f]{8})\.npz", path.name)
    assert version, path.name
    assert "from 81 decisions (40 rejected)" in out  # the undone one left out, platform counted
    with np.load(path) as data:
        meta = json.loads(str(data["meta"]))
    assert meta["version"] == f"{version.group(1)}-{version.group(2)}"
    assert meta["base"].startswith("offline-bilingual@")
    assert meta["languages"]["es"] > 0 and meta["languages"]["en"] > 0

    site = SiteScorer(path)
    assert site.info.name == "site" and site.info.version == meta["version"]
    # Unseen sentences: the site's slang is learnt; the same sentence without it is not flagged.
    slang, plain = site.score(["honestly Rosa is a blorft", "honestly Rosa is a delight"])
    assert slang > 0.5 > plain
    assert site.base.score(["honestly Rosa is a blorft"])[0]["toxicity"] < slang  # not the prior
    # The bundled model's scores passed in (as the scoring service does) give the same answer.
    texts = ["honestly Rosa is a blorft", "honestly Rosa is a delight", "qué zarpado"]
    given = [s["toxicity"] for s in site.base.score(texts)]
    assert site.score(texts, [given[0], None, given[2]]) == pytest.approx(
        site.score(texts), abs=1e-4
    )

    # Same decisions, same weights: the version's hash part repeats.
    again = tmp_path / "again.npz"
    assert main([*args, "--output", str(again)]) == 0
    assert version.group(2) in capsys.readouterr().out


def test_reads_the_csv_export_and_since(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = decisions()
    path = tmp_path / "decisions.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, FIELDS)
        writer.writeheader()
        for r in rows:
            writer.writerow(r)
    out_file = tmp_path / "site.npz"
    base = ["models", "train", "--from-decisions", str(path), "--output", str(out_file)]
    assert main(base) == 0
    assert "from 81 decisions" in capsys.readouterr().out

    # Only the last hours' decisions: too few, and the error says how many are needed.
    assert main([*base, "--since", "2026-11-01T01:00:00"]) == 2
    message = capsys.readouterr().err.strip()
    assert "at least 50 decided comments" in message and "since 2026-11-01T01:00:00" in message
    assert "\n" not in message  # one sentence


def test_too_few_decisions_and_a_missing_file_are_one_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def fails(source: Path) -> str:
        args = ["models", "train", "--from-decisions", str(source), "--data-dir", str(tmp_path)]
        assert main(args) == 2
        return capsys.readouterr().err.strip()

    few = fails(write_jsonl(tmp_path / "few.jsonl", decisions()[:30]))
    assert "needs at least 50 decided comments, 10 of them rejected and 10 approved" in few
    assert "has 30 (30 rejected, 0 approved)" in few
    assert "nope.jsonl does not exist" in fails(tmp_path / "nope.jsonl")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1}\n{not json\n', "utf-8")
    assert "Line 2 of" in fails(bad)
    args = ["models", "train", "--from-decisions", str(bad), "--no-blend"]
    assert main(args) == 2
    assert "--no-blend go with --shared" in capsys.readouterr().err
    assert not (tmp_path / "models").exists()  # nothing half-written


def test_hostile_rows_are_skipped_or_trained_on_without_failing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Invalid UTF-8, a 20,000-character comment, a lone surrogate, unknown fields, rows that
    are not objects, no id, a text that is not a string: the good rows still train."""
    lines = [json.dumps(r, ensure_ascii=False).encode() for r in decisions()]
    hostile = [
        json.dumps({**_row("h1", "x", "reject", "rejected", "rita", 5), "text": "blorft " * 3000}),
        json.dumps({**_row("h2", "\ud800 lone", "approve", "approved", "rita", 6)}),
        json.dumps({**_row("h3", "ok", "reject", "rejected", "rita", 7), "extra": {"a": [1]}}),
        json.dumps({**_row("h4", "ok", "reject", "rejected", "rita", 8), "text": 5}),
        json.dumps({**_row("", "no id", "reject", "rejected", "rita", 9)}),
        json.dumps([1, 2, 3]),
        "null",
    ]
    raw = b"\n".join([*lines, *(h.encode() for h in hostile), b'{"id": "h5", "text": "\xff\xfe"}'])
    source = tmp_path / "hostile.jsonl"
    source.write_bytes(raw + b"\n")
    out_file = tmp_path / "site.npz"
    assert (
        main(["models", "train", "--from-decisions", str(source), "--output", str(out_file)]) == 0
    )
    # 81 + h1, h2 and h3 (h4's text is a number, "" has no id, h5 has no decision).
    assert "from 84 decisions (42 rejected)" in capsys.readouterr().out
    assert SiteScorer(out_file).score(["blorft " * 3000, "\ud800"])[0] > 0.5


def test_trains_from_the_audit_log_in_redis(
    redis_url: str,
    seeder: Seeder,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    texts = [(str(r["text"]), r["decision"]) for r in decisions()[:80]]

    async def decide_all() -> None:
        client = connect_async(redis_url)
        review = RedisReviewStore(client, deliver_callbacks=False)
        try:
            start = now_ms()
            for i, (text, decision) in enumerate(texts):
                ref = seeder.add(f"r{i}", text)
                verdict = Decision.REJECT if decision == "reject" else Decision.APPROVE
                await review.decide(
                    ref, verdict, by="rita", reason=None, note=None, now_ms=start + i
                )
        finally:
            await client.aclose()

    asyncio.run(decide_all())
    monkeypatch.setenv("MODERATOR_REDIS_URL", redis_url)
    out_file = tmp_path / "site.npz"
    assert main(["models", "train", "--from-decisions", "--output", str(out_file)]) == 0
    assert "from 80 decisions (40 rejected)" in capsys.readouterr().out
    assert SiteScorer(out_file).score(["what a blorft"])[0] > 0.5
