"""`moderator healthcheck`: exit 0 when this machine's moderator role is healthy, 1 (with one
line saying why) when it is not. Made for Docker's HEALTHCHECK; it reads, never writes.

- api (`serve`, `run`): GET /readyz answers 200 (Redis reachable: this process can serve).
- worker: the worker's heartbeat file (`--heartbeat-file`, default `<data_dir>/worker.heartbeat`)
  was touched within `--max-idle-s`. `moderator worker` touches it once per loop turn, at least
  every `worker.block_ms` while idle (and while it waits out a Redis outage), so only a dead or
  wedged worker, or a batch slower than the limit, fails the check.
- auto (the default): the role of the container's main process (/proc/1/cmdline: `moderator
  worker` is a worker, anything else the API, on the `--port` it was given).
"""

from __future__ import annotations

import argparse
import itertools
import logging
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from moderator.commands import settings_from_args, store_args
from moderator.settings import Settings

log = logging.getLogger("moderator.health")
_MAIN_CMDLINE = Path("/proc/1/cmdline")
_DEFAULT_PORT = 8000
HEARTBEAT_FILE = "worker.heartbeat"


def register(sub: Any) -> None:
    p = sub.add_parser("healthcheck", help="exit 0 if this host's API or worker is healthy")
    p.add_argument("--role", choices=["auto", "api", "worker"], default="auto")
    p.add_argument("--url", help="the API's /readyz (default http://127.0.0.1:PORT/readyz)")
    p.add_argument("--max-idle-s", type=float, default=120.0, help="worker: longest silence")
    store_args(p)
    heartbeat_args(p)
    p.set_defaults(handler=healthcheck)


def heartbeat_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--heartbeat-file", type=Path, help=f"default: DATA_DIR/{HEARTBEAT_FILE}")


def heartbeat_path(args: argparse.Namespace, settings: Settings) -> Path:
    path: Path | None = getattr(args, "heartbeat_file", None)
    return path or settings.data_dir / HEARTBEAT_FILE


def heartbeat_file(args: argparse.Namespace, settings: Settings) -> Callable[[], None]:
    """The worker's heartbeat: touch the file. A file that cannot be written is logged once and
    never stops the worker (its health check then fails, which is the point)."""
    path = heartbeat_path(args, settings)
    failed = False

    def beat() -> None:
        nonlocal failed
        try:
            path.touch()
        except OSError as exc:
            if not failed:
                log.error("Cannot write the heartbeat file %s: %s", path, exc)
            failed = True

    path.parent.mkdir(parents=True, exist_ok=True)
    return beat


def healthcheck(args: argparse.Namespace) -> int:
    role, port = _detect(_main_argv()) if args.role == "auto" else (args.role, _DEFAULT_PORT)
    if role == "worker":
        healthy, why = _worker(heartbeat_path(args, settings_from_args(args)), args.max_idle_s)
    else:
        healthy, why = _api(args.url or f"http://127.0.0.1:{port}/readyz")
    print(f"{role}: {'healthy' if healthy else 'UNHEALTHY'}: {why}")
    return 0 if healthy else 1


def _main_argv() -> list[str]:
    try:
        return _MAIN_CMDLINE.read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


def _detect(argv: list[str]) -> tuple[str, int]:
    """(role, port) of a main process's command line, e.g. `moderator serve --port 8080`."""
    words = [Path(a).name for a in argv]
    role = "api"
    if "moderator" in words:
        role = "worker" if "worker" in words[words.index("moderator") + 1 :] else "api"
    port = _DEFAULT_PORT
    for flag, value in itertools.pairwise(argv):
        if flag == "--port" and value.isdigit():
            port = int(value)
    return role, port


def _api(url: str) -> tuple[bool, str]:
    try:
        with urllib.request.urlopen(url, timeout=3) as answer:
            return answer.status == 200, f"{url} answered {answer.status}"
    except urllib.error.HTTPError as exc:
        return False, f"{url} answered {exc.code}"
    except (OSError, ValueError) as exc:
        return False, f"{url} did not answer: {exc}"


def _worker(path: Path, max_idle_s: float) -> tuple[bool, str]:
    try:
        age_s = time.time() - os.stat(path).st_mtime
    except OSError:
        return False, f"no heartbeat file {path} (no worker has run here)"
    return age_s <= max_idle_s, f"{path} touched {age_s:.1f} s ago (limit {max_idle_s:g} s)"
