"""`moderator score` as issue 12's user ran it, against their plain loop, on the same
checkpoint, the same cores and the same thread (`python -m bench cli`).

The user's command, whole process (start, model load, language detection, lexicon, policy and
spans included):

    moderator score --model detoxify:CKPT --hf-config DIR --input thread.jsonl --output out.jsonl

against `python -m bench.predict_loop` (a plain `Detoxify.predict` loop in batches of 32, whole
process), on bench/thread.py's thread of one-line replies and long article paragraphs. Each
runs in its own process, alternately, RUNS times; the ratio is the baseline's wall time over
ours. The export is made by the first `moderator score` (timed and reported apart) and cached
in bench/.cache/moderator/ like any user's cache. Also run: the same command with
`MODERATOR_MODEL__BACKEND=torch` (the PyTorch path the user measured). Score agreement: the
default path against the PyTorch path on every comment (both score long comments whole), and
against the plain loop on the comments the loop sees whole (at most 510 tokens).
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import checkpoints
from bench.report import ROOT, Section
from bench.thread import LONG_SHARE, thread, write_jsonl

KINDS = ("original", "multilingual")
COUNT = 200
RUNS = 2
LOOP_BATCH = 32
TARGET_RATIO = 3.0
TOLERANCE = 0.02
CACHE = checkpoints.CACHE / "moderator"


def run(quick: bool) -> Section:
    section = Section("cli", "`moderator score` vs a plain Detoxify loop in batches of 32")
    count = 24 if quick else COUNT
    section.line(
        f"Thread: {count} comments from `bench/thread.py` (seed 12): {1 - LONG_SHARE:.0%} "
        f"one-line replies, {LONG_SHARE:.0%} article paragraphs of 10-30 sentences, EN/ES, "
        "no language hints. moderator: `moderator score --model detoxify:CKPT --hf-config DIR "
        "--input thread.jsonl --output out.jsonl`, defaults (model.backend auto: the cached "
        "ONNX int8 export). Baseline: `python -m bench.predict_loop` (`Detoxify(checkpoint=CKPT,"
        f" huggingface_config_path=DIR).predict(batch)` in batches of {LOOP_BATCH}). Both are "
        "timed as whole processes, as `time` would, each run in turn on the same cores; the "
        "ratio is the loop's wall time over moderator's."
    )
    section.line()
    for kind in ["tiny"] if quick else list(KINDS):
        _one_checkpoint(section, kind, count, runs=1 if quick else RUNS)
    _air_gapped(section)
    return section


def _air_gapped(section: Section) -> None:
    """How long `auto` takes to give up on the network and fall back (tests assert only that
    it does, with each host tried once and the probe's deadline ending the wait)."""
    timeout_s = 2.0
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "TORCH_HOME": f"{tmp}/torch",
            "HF_HUB_CACHE": f"{tmp}/hf",
            "MODERATOR_MODEL__CACHE_DIR": f"{tmp}/cache",
            "MODERATOR_MODEL__DOWNLOAD_URL": "https://192.0.2.1/",  # TEST-NET-1: never answers
            "MODERATOR_MODEL__HF_ENDPOINT": "https://192.0.2.2",
            "MODERATOR_MODEL__DOWNLOAD_TIMEOUT_S": str(timeout_s),
        }
        walls = {}
        for spec in ("auto", "offline"):
            started = time.perf_counter()
            done = subprocess.run(
                [*moderator_command(), "score", "hello", "--model", spec],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
            )
            walls[spec] = time.perf_counter() - started
            if done.returncode != 0:
                raise RuntimeError(f"moderator score --model {spec} failed:\n{done.stderr[-2000:]}")
    section.line(
        f"Without the network (download hosts in TEST-NET, `model.download_timeout_s = "
        f"{timeout_s:g}`): `moderator score hello` with `auto` took {walls['auto']:.1f} s to fall "
        f"back to the offline model and score, against {walls['offline']:.1f} s with `offline` "
        "(where a firewall drops packets instead of refusing them, the probe waits out the "
        "timeout: at most that much more)."
    )
    section.line()


def _one_checkpoint(section: Section, kind: str, count: int, runs: int) -> None:
    built = checkpoints.build(kind)
    section.line(f"### `{kind}`-shaped checkpoint")
    section.line()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        texts = thread(count)
        source = write_jsonl(texts, folder / "thread.jsonl")
        first = _score(built, source, folder / "first.jsonl", "auto")
        torch_path = _score(built, source, folder / "torch.jsonl", "torch")
        loops, ours = [], []
        for n in range(runs):
            loops.append(_loop(built, source, folder / f"loop{n}.json"))
            ours.append(_score(built, source, folder / f"ours{n}.jsonl", "auto"))
            print(
                f"  run {n + 1}: loop {loops[-1]['wall_s']:.1f} s, ours {ours[-1]['wall_s']:.1f} s"
            )
        tokens = _tokens(built.hf_config, texts)
        _report(section, kind, first, torch_path, loops, ours, tokens)
    section.line()


def _report(
    section: Section,
    kind: str,
    first: dict[str, Any],
    torch_path: dict[str, Any],
    loops: list[dict[str, Any]],
    ours: list[dict[str, Any]],
    tokens: list[int],
) -> None:
    count = len(tokens)
    section.line(
        f"Tokens per comment: mean {statistics.mean(tokens):.0f}, median "
        f"{statistics.median(tokens):.0f}, max {max(tokens)}; "
        f"{sum(t > 510 for t in tokens)} of {count} longer than the loop's 512-token cut. "
        f"Scored by `{ours[0]['model']}`; a model rule fired (sentences scored again for "
        f"spans) on {ours[0]['model_flagged']} of {count}."
    )
    section.line()
    rows = []
    for n, (loop, mine) in enumerate(zip(loops, ours, strict=True), start=1):
        rows.append(
            [
                f"run {n}",
                f"{loop['wall_s']:.1f} s (load {loop['load_s']:.1f} s, "
                f"loop {loop['predict_s']:.1f} s)",
                f"{mine['wall_s']:.1f} s",
                f"**{loop['wall_s'] / mine['wall_s']:.2f}×**",
                f"{loop['predict_s'] / mine['wall_s']:.2f}×",
                f"{loop['cpu_s']:.0f} s / {mine['cpu_s']:.0f} s = "
                f"{loop['cpu_s'] / mine['cpu_s']:.2f}×",
            ]
        )
    torch_ratio = statistics.median(loop["wall_s"] for loop in loops) / torch_path["wall_s"]
    rows.append(
        [
            "PyTorch path (`MODERATOR_MODEL__BACKEND=torch`)",
            "",
            f"{torch_path['wall_s']:.1f} s",
            f"{torch_ratio:.2f}×",
            "",
            f"{torch_path['cpu_s']:.0f} s",
        ]
    )
    section.table(
        [
            "",
            "plain loop, batches of 32 (whole process)",
            "`moderator score` (whole process)",
            "ratio",
            "loop alone / `moderator score`",
            "CPU time, loop / ours",
        ],
        rows,
    )
    section.line(
        f"First `moderator score` with this checkpoint (export, check and scoring): "
        f"{first['wall_s']:.0f} s; {first['export_line'] or 'export was already cached'}."
    )
    agreement = _agreement(ours[0]["scores"], torch_path["scores"], loops[0]["scores"], tokens)
    section.line(agreement["line"])
    section.line()
    ratio = statistics.median(
        loop["wall_s"] / mine["wall_s"] for loop, mine in zip(loops, ours, strict=True)
    )
    section.target(
        f"`{kind}`: `moderator score` ≥ {TARGET_RATIO:g}× the loop", ratio >= TARGET_RATIO
    )
    section.target(
        f"`{kind}`: max |Δtoxicity| ≤ {TOLERANCE} vs PyTorch fp32", agreement["worst"] <= TOLERANCE
    )


def _agreement(
    ours: list[dict], torch_path: list[dict], loop: list[dict], tokens: list[int]
) -> dict[str, Any]:
    vs_torch = max(
        abs(a["toxicity"] - b["toxicity"]) for a, b in zip(ours, torch_path, strict=True)
    )
    whole = [i for i, t in enumerate(tokens) if t <= 510]
    vs_loop = max((abs(ours[i]["toxicity"] - loop[i]["toxicity"]) for i in whole), default=0.0)
    torch_vs_loop = max(
        (abs(torch_path[i]["toxicity"] - loop[i]["toxicity"]) for i in whole), default=0.0
    )
    return {
        "worst": max(vs_torch, vs_loop),
        "line": (
            f"max |Δtoxicity|: default path vs `moderator score` on PyTorch fp32 {vs_torch:.4f} "
            f"(all {len(ours)} comments); vs the plain loop {vs_loop:.4f} (the {len(whole)} "
            f"comments it reads whole; PyTorch path vs loop there: {torch_vs_loop:.5f})."
        ),
    }


def moderator_command() -> list[str]:
    script = Path(sys.executable).parent / "moderator"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "moderator.cli"]


def _score(built: checkpoints.Built, source: Path, out: Path, backend: str) -> dict[str, Any]:
    command = [
        *moderator_command(),
        "score",
        "--model",
        f"detoxify:{built.checkpoint}",
        "--hf-config",
        str(built.hf_config),
        "--input",
        str(source),
        "--output",
        str(out),
    ]
    env = {
        **os.environ,
        "MODERATOR_MODEL__CACHE_DIR": str(CACHE),
        "MODERATOR_MODEL__BACKEND": backend,
        "HF_HUB_OFFLINE": "1",
    }
    started, cpu = time.perf_counter(), _children_cpu_s()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    wall, cpu = time.perf_counter() - started, _children_cpu_s() - cpu
    if done.returncode != 0:
        raise RuntimeError(f"moderator score failed:\n{done.stderr[-3000:]}")
    records = [json.loads(line) for line in out.read_text().splitlines()]
    exported = [line for line in done.stderr.splitlines() if line.startswith("Exported in")]
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "scores": [r["scores"] for r in records],
        "model": records[0]["model"]["name"],
        "model_flagged": sum(any("(model " in x for x in r["reasons"]) for r in records),
        "export_line": exported[-1] if exported else "",
    }


def _loop(built: checkpoints.Built, source: Path, out: Path) -> dict[str, Any]:
    command = [
        sys.executable,
        "-m",
        "bench.predict_loop",
        "--checkpoint",
        str(built.checkpoint),
        "--hf-config",
        str(built.hf_config),
        "--input",
        str(source),
        "--output",
        str(out),
        "--batch",
        str(LOOP_BATCH),
    ]
    started, cpu = time.perf_counter(), _children_cpu_s()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    wall, cpu = time.perf_counter() - started, _children_cpu_s() - cpu
    if done.returncode != 0:
        raise RuntimeError(f"the plain loop failed:\n{done.stderr[-3000:]}")
    timing = json.loads(done.stdout.strip().splitlines()[-1])
    return {**timing, "wall_s": wall, "cpu_s": cpu, "scores": json.loads(out.read_text())}


def _children_cpu_s() -> float:
    """User + system CPU seconds of finished child processes: on a shared machine the wall
    time says how long a run waited for the CPU too, the CPU time how much work it did."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _tokens(hf_config: Path, texts: list[str]) -> list[int]:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(hf_config))
    return [len(ids) for ids in tokenizer(texts, verbose=False)["input_ids"]]
