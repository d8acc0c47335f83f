"""The `moderator` command as a user runs it: subprocesses, real embedded Redis, real models."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.harness import free_port

RETARD = "Listen to what the retard Freddy has to say about him"
RAID = "The police raid on the village was reported on the evening news."


def moderator(
    *args: str, stdin: str | None = None, env: dict | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "moderator.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def test_score_text_prints_a_design_record():
    out = moderator("score", RETARD, "--model", "offline")
    assert out.returncode == 0, out.stderr
    record = json.loads(out.stdout)
    assert set(record) >= {
        "id",
        "language",
        "model",
        "scores",
        "matches",
        "priority",
        "action",
        "reasons",
    }
    assert record["action"] in ("review", "hold")
    (m,) = [m for m in record["matches"] if m["term"].startswith("retard")]
    assert RETARD[m["start"] : m["end"]] == "retard"


def test_score_jsonl_in_order(tmp_path: Path):
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    rows = [{"id": "a", "text": RAID}, {"id": "b", "text": RETARD}, {"id": "c", "text": "hola"}]
    src.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    out = moderator("score", "--input", str(src), "--output", str(dst), "--model", "offline")
    assert out.returncode == 0, out.stderr
    records = [json.loads(line) for line in dst.read_text().splitlines()]
    assert [r["id"] for r in records] == ["a", "b", "c"]
    assert records[0]["action"] == "approve" and records[1]["action"] != "approve"


def test_score_with_a_local_detoxify_checkpoint(tiny_detoxify):
    out = moderator(
        "score",
        RAID,
        "--model",
        f"detoxify:{tiny_detoxify.checkpoint}",
        "--hf-config",
        str(tiny_detoxify.hf_config),
        env={"HF_HUB_OFFLINE": "1"},
    )
    assert out.returncode == 0, out.stderr
    record = json.loads(out.stdout)
    assert record["model"]["name"].startswith("detoxify") and not record["model"]["fallback"]
    assert record["scores"]["sexual_explicit"] is None
    assert all(isinstance(record["scores"][k], float) for k in ("toxicity", "threat", "insult"))


def test_bad_model_spec_is_one_sentence():
    out = moderator("score", "hi", "--model", "gpt-9")
    assert out.returncode == 2
    assert out.stderr.startswith("moderator: Unknown model 'gpt-9'")
    assert len(out.stderr.strip().splitlines()) == 1


def test_tokens_and_users_on_the_embedded_store(tmp_path: Path):
    data = str(tmp_path / "var")
    out = moderator("tokens", "create", "--role", "reviewer", "--name", "ci", "--data-dir", data)
    assert out.returncode == 0, out.stderr
    token = out.stdout.strip().splitlines()[-1]
    assert token.startswith("mod_") and len(token) > 40
    out = moderator(
        "users",
        "add",
        "rita",
        "--role",
        "reviewer",
        "--data-dir",
        data,
        stdin="correct horse battery\n",
    )
    assert out.returncode == 0, out.stderr
    again = moderator("users", "add", "rita", "--data-dir", data, stdin="another password\n")
    assert again.returncode == 2 and "already exists" in again.stderr
    assert moderator("tokens", "revoke", token, "--data-dir", data).returncode == 0
    assert moderator("tokens", "revoke", token, "--data-dir", data).returncode == 1


@pytest.mark.slow
def test_run_serves_scores_and_keeps_data_across_restarts(tmp_path: Path):
    data, port = str(tmp_path / "var"), free_port()
    env = {"MODERATOR_MODEL__SPEC": "offline"}
    url = f"http://127.0.0.1:{port}"

    def start() -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [sys.executable, "-m", "moderator.cli", "run", "--port", str(port), "--data-dir", data],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, **env},
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(url + "/readyz").status_code == 200:
                    return proc
            except httpx.TransportError:
                time.sleep(0.2)
        proc.kill()
        raise AssertionError(proc.stdout.read() if proc.stdout else "no output")

    def stop(proc: subprocess.Popen[str]) -> str:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
        return out

    proc = start()
    try:
        sent = moderator("send", RETARD, "--id", "first", "--url", url, "--data-dir", data)
        assert sent.returncode == 0 and sent.stdout.startswith("202"), sent.stdout + sent.stderr
        token = moderator(
            "tokens", "create", "--role", "admin", "--name", "ops", "--data-dir", data
        )
        token = token.stdout.strip().splitlines()[-1]
        auth = {"Authorization": f"Bearer {token}"}
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            item = httpx.get(url + "/v1/comments/first", headers=auth).json()
            if item.get("state") == "queued":
                break
            time.sleep(0.1)
        assert item["queue"] == "hold"
    finally:
        banner = stop(proc)
    assert "admin login created" in banner and "password:" in banner
    assert "offline" in banner.lower()
    webhook_secret = (tmp_path / "var" / "webhook_secret").read_text().strip()
    assert webhook_secret in banner  # generated on this start: shown, once
    proc = start()
    try:
        again = httpx.get(url + "/v1/comments/first", headers=auth).json()
        assert again["state"] == "queued" and again["record"]["matches"]
        assert httpx.get(url + "/healthz").json()["model"]["fallback"] is True
    finally:
        banner = stop(proc)
    assert "admin login created" not in banner
    assert webhook_secret not in banner and "not shown again" in banner


def test_worker_exits_cleanly_on_sigterm(tmp_path: Path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "moderator.cli", "worker", "--data-dir", str(tmp_path / "var")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "MODERATOR_MODEL__SPEC": "offline"},
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()  # "worker <name> scoring with ..." once it is ready
    while line and "scoring with" not in line:
        line = proc.stdout.readline()
    assert "offline-bilingual" in line
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=15)
    assert proc.returncode == 0


@pytest.mark.parametrize(
    ("content", "sentence"),
    [
        (None, "Cannot read"),
        ('{"id": "a", "text": "ok"}\n{"id": "b", "text": \n', "line 2 is not valid JSON"),
        ('["not", "an", "object"]\n', "line 1 is not a JSON object"),
        ('{"id": "a", "body": "no text"}\n', "line 1 needs a string 'text'"),
    ],
)
def test_score_jsonl_errors_are_one_sentence(tmp_path: Path, content: str | None, sentence: str):
    src = tmp_path / "in.jsonl"
    if content is not None:
        src.write_text(content)
    out = moderator("score", "--input", str(src), "--model", "offline")
    assert out.returncode == 2
    assert sentence in out.stderr and out.stderr.startswith("moderator: ")
