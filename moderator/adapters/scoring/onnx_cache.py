"""The ONNX int8 export cache: each Detoxify checkpoint is exported once, checked against PyTorch
on sample texts, and scored through ONNX Runtime from then on.

`<cache>/onnx/<key>/` holds what OnnxScorer reads (`model.int8.onnx`, `tokenizer.json`,
`moderator-onnx.json`) and `check.json`: the largest score difference from PyTorch fp32 on the
sample texts, whether that is within the bound, and how long the export took. `<key>` hashes the
checkpoint's sha256, the config and tokenizer files it loads with, EXPORT_VERSION and whether
the CPU has VNNI: another checkpoint, tokenizer, exporter or kind of CPU gets its own export,
never a stale one.

Guarantees: a folder appears under its key only complete (built in a temporary folder, renamed
into place last); processes exporting the same key take turns (a file lock), so a checkpoint is
exported once; an export that raises leaves nothing behind and is retried at the next start; a
check that failed is kept (`check.json` with `ok: false`) so that it is not redone at every
start (delete the folder to redo it). Loading the PyTorch model is the caller's `load`; its
errors propagate unchanged.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import os
import shutil
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from moderator.adapters.digests import sha256_file
from moderator.adapters.scoring.onnx_export import INT8_FILE as INT8

#: Bump when the export changes in a way that changes scores (a new export is made then).
#: 2: uint8 weights where int8 ones saturate (CPUs without VNNI), and the CPU kind in the key.
EXPORT_VERSION = 2
CHECK = "check.json"
DIGESTS = "digests.json"
_STEPS = 5  # load, trace, fuse, quantise, check
#: The progress bar's label for each step export_onnx logs (by the log line's first word).
_STEP_LABELS = {
    "Tracing": "Tracing the model to ONNX",
    "Fusing": "Fusing the graph",
    "Quantising": "Quantising the weights to int8",
    "Checking": "Checking the export against PyTorch",
}

Log = Callable[[str], None]


def default_cache_dir() -> Path:
    """`$XDG_CACHE_HOME/moderator`, or `~/.cache/moderator`."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "moderator"


@dataclass(frozen=True)
class Export:
    """One checkpoint's export: `ok` when both files matched PyTorch within their bounds;
    otherwise `reason` says why, in a sentence."""

    folder: Path
    ok: bool
    max_difference: float | None = None
    reason: str = ""
    export_s: float = 0.0
    model_sha256: str = ""

    @property
    def model(self) -> Path:
        return self.folder / INT8


@functools.cache
def cpu_int8_kind(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """The CPU's kind for int8 matrix products: "vnni" or "no-vnni" (Linux), else "unknown".
    An int8 export checked on a CPU with VNNI can saturate on one without
    (onnx_scorer.quantize_int8), so the two kinds of machine never share an export: a cache
    copied from one to the other is exported and checked again. Read once per process and
    file."""
    try:
        text = cpuinfo.read_text(encoding="ascii", errors="replace")
    except OSError:
        return "unknown"
    flags = set()
    for line in text.splitlines():
        if line.startswith("flags"):
            flags.update(line.partition(":")[2].split())
    if not flags:
        return "unknown"
    return "vnni" if flags & {"avx512_vnni", "avx_vnni"} else "no-vnni"


def export_key(checkpoint: Path, hf_config: Path | None, cache_dir: Path, *, name: str = "") -> str:
    """The cache key of a checkpoint (hashed once per file version, see digests.py) with the
    config and tokenizer files of `hf_config` and the `name` its export records (a released
    type's, or "" for a local checkpoint)."""
    parts = [
        f"export v{EXPORT_VERSION} {name}",
        f"cpu {cpu_int8_kind()}",
        sha256_file(checkpoint, memo=cache_dir / DIGESTS),
    ]
    if hf_config is not None:
        for path in sorted(p for p in Path(hf_config).iterdir() if p.is_file()):
            parts.append(f"{path.name} {sha256_file(path)}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def lookup(cache_dir: Path, key: str) -> Export | None:
    """The finished export under `key`, or None. Never loads a model."""
    folder = cache_dir / "onnx" / key
    try:
        data = json.loads((folder / CHECK).read_text(encoding="utf-8"))
        return Export(
            folder=folder,
            ok=bool(data["ok"]),
            max_difference=data.get("max_difference"),
            reason=str(data.get("reason", "")),
            export_s=float(data.get("export_s", 0.0)),
            model_sha256=str(data.get("model_sha256", "")),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def ensure_export(
    cache_dir: Path, key: str, load: Callable[[], Any], *, describe: str, log: Log = print
) -> Export:
    """The export under `key`, made now (with a progress bar on stderr) when there is none.

    `load` returns the DetoxifyScorer to export; it is released after a good export. Export
    failures come back as an Export with `ok` False and the reason (a cache that cannot be
    written included); errors of `load` propagate.
    """
    found = lookup(cache_dir, key)
    if found is not None:
        return found
    root = cache_dir / "onnx"
    try:
        root.mkdir(parents=True, exist_ok=True)
        with _exclusive(root / f"{key}.lock", log):
            return lookup(cache_dir, key) or _build(root, key, load, describe, log)
    except OSError as exc:
        return Export(root / key, False, reason=f"the export cache {root} is not writable: {exc}")


def _build(root: Path, key: str, load: Callable[[], Any], describe: str, log: Log) -> Export:
    from tqdm import tqdm

    from moderator.adapters.scoring.onnx_export import export_onnx

    final, work = root / key, root / f".{key}.{uuid.uuid4().hex}.partial"
    shutil.rmtree(final, ignore_errors=True)  # a folder whose check.json is unreadable
    log(f"Exporting {describe} to ONNX int8, one time only, into {final}")
    started = time.monotonic()
    bar = tqdm(
        total=_STEPS,
        desc="Loading the PyTorch model",
        file=sys.stderr,
        bar_format="  {desc:<52} {bar:20} {n_fmt}/{total_fmt} [{elapsed}]",
    )

    def step(message: str) -> None:
        bar.update(1)
        bar.set_description_str(_STEP_LABELS.get(message.split()[0], message[:52]))

    try:
        scorer = load()
        try:
            report = export_onnx(scorer, work, int8=True, log=step, strict=False)
            export = _finish(work, final, report.max_difference, time.monotonic() - started)
        except Exception as exc:  # whatever broke, PyTorch still scores; the caller says so
            return Export(final, False, reason=f"the export failed ({type(exc).__name__}: {exc})")
        bar.update(_STEPS - bar.n)
    finally:
        bar.close()
        shutil.rmtree(work, ignore_errors=True)
    if export.ok:
        scorer.close()  # the worker keeps only the ONNX model in memory
    log(f"Exported in {export.export_s:.0f} s; cached at {final}")
    return export


def _finish(work: Path, final: Path, differences: dict[str, float], seconds: float) -> Export:
    """Keep the int8 file only, write check.json, move the folder into place."""
    from moderator.adapters.scoring.onnx_export import FP32_TOLERANCE, INT8_TOLERANCE
    from moderator.adapters.scoring.onnx_scorer import METADATA, ExportMetadata

    fp32, int8 = differences["model.onnx"], differences[INT8]
    reasons = []
    if fp32 > FP32_TOLERANCE:
        reasons.append(
            f"the fp32 export differs from PyTorch by {fp32:.4f} (more than {FP32_TOLERANCE}): "
            "the model does not trace cleanly"
        )
    if int8 > INT8_TOLERANCE:
        reasons.append(
            f"the int8 export differs from PyTorch fp32 by {int8:.4f} on the sample texts "
            f"(more than {INT8_TOLERANCE})"
        )
    (work / "model.onnx").unlink()  # served the check; the int8 file is what scores
    metadata = dataclasses.replace(ExportMetadata.read(work), precisions={INT8: "int8"})
    (work / METADATA).write_text(metadata.to_json() + "\n", encoding="utf-8")
    export = Export(
        folder=final,
        ok=not reasons,
        max_difference=int8,
        reason="; ".join(reasons),
        export_s=seconds,
        model_sha256=sha256_file(work / INT8),
    )
    check = {
        "ok": export.ok,
        "max_difference": int8,
        "fp32_max_difference": fp32,
        "reason": export.reason,
        "export_s": round(seconds, 1),
        "model_sha256": export.model_sha256,
        "export_version": EXPORT_VERSION,
    }
    (work / CHECK).write_text(json.dumps(check, indent=2) + "\n", encoding="utf-8")
    os.replace(work, final)
    return export


@contextlib.contextmanager
def _exclusive(path: Path, log: Log) -> Iterator[None]:
    """Hold an exclusive lock on `path` (processes exporting the same model take turns)."""
    import fcntl

    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log(f"Waiting for another process that is exporting the same model ({path})")
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
