"""Start-up checks the serving commands run against an external Redis: would a 202 survive a
crash? Each problem is logged as a warning and printed in a framed block on standard error, so
it is seen in a terminal and in a container's log alike (adapters/redis/durability.py says what
is checked; /healthz repeats it while the process runs). A Redis that cannot be reached at start
is not an error here: the commands wait for it as they always do."""

from __future__ import annotations

import logging
import sys

import redis

from moderator.adapters.redis.client import connect
from moderator.adapters.redis.durability import check

log = logging.getLogger("moderator.durability")


def warn_durability(url: str) -> list[str]:
    """Check the external Redis at `url`; log and print every warning; return them."""
    client = connect(url)
    try:
        found = check(client)
    except redis.RedisError as exc:
        log.info("Redis persistence not checked yet (%s); /healthz reports it later.", exc)
        return []
    finally:
        client.close()
    for warning in found.warnings:
        log.warning("%s", warning)
    if found.warnings:
        frame = "!" * 72
        lines = ["", frame, "WARNING: an accepted comment (202) may not survive a crash:"]
        lines += [f"  - {w}" for w in found.warnings]
        lines += [frame, ""]
        print("\n".join(lines), file=sys.stderr, flush=True)
    return found.warnings
