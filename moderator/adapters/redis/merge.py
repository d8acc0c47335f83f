"""Reading partitioned streams and sorted sets as one (keys.py: `redis.partitions`).

A stream that is split by partition (feed, audit, ingest dead letters, second opinions) is read
as the merge of its partitions' streams by id, which is time order. A cursor over it holds one
position per partition: with one partition it is the plain stream id it always was (contract
v1); with several it is `v2.<id of partition 0>.<id of partition 1>…` (`0-0`: nothing read
there yet). A v1 cursor given to a partitioned install means "after this moment" in every
partition, which is exactly what it meant before the split (stream ids are times, and the
split keeps them), so a cursor a platform already holds keeps working; a v2 cursor made for
another number of partitions is read the same way, at its earliest position.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from moderator import keys

V2 = "v2."
NOTHING = "0-0"
#: A cursor over a partitioned stream, as routes check it: a stream id, or v2 and one per
#: partition.
CURSOR = r"^(\d{1,20}-\d{1,20}|v2(\.\d{1,20}-\d{1,20})+)$"
#: The id of one entry of a partitioned stream (a dead letter, an outbox event): the stream id
#: with one partition, `p<K>-<stream id>` with several (ids repeat across partitions).
ENTRY_ID = r"^(p\d{1,5}-)?\d{1,20}-\d{1,20}$"
_QUALIFIED = re.compile(r"p(\d{1,5})-(.+)")
Entry = tuple[str, dict[str, Any]]


def id_key(stream_id: str) -> tuple[int, int]:
    ms, _, seq = stream_id.partition("-")
    return int(ms), int(seq or 0)


def decode_cursor(
    cursor: str | None, count: int | None = None, *, newest_first: bool = False
) -> list[str | None]:
    """One position per partition (None: from the start) from a v1 or v2 cursor. A v2 cursor
    made for another number of partitions is read as a moment, as a v1 cursor is: the earliest
    of its positions (the latest, reading `newest_first`), so a page may repeat an entry but
    never passes one over. ValueError for a malformed cursor."""
    n = keys.partitions() if count is None else count
    if not cursor:
        return [None] * n
    if not cursor.startswith(V2):
        _check_id(cursor)
        return [cursor] * n
    parts = cursor[len(V2) :].split(".")
    for p in parts:
        _check_id(p)
    if len(parts) == n:
        return [None if p == NOTHING else p for p in parts]
    read = [p for p in parts if p != NOTHING]
    if not read:
        return [None] * n
    moment = (max if newest_first else min)(read, key=id_key)
    return [moment] * n


def encode_cursor(positions: Sequence[str | None]) -> str | None:
    """The cursor for these positions: the plain id with one partition, else v2."""
    if len(positions) == 1:
        return positions[0]
    if all(p is None for p in positions):
        return None
    return V2 + ".".join(p or NOTHING for p in positions)


def _check_id(value: str) -> None:
    ms, sep, seq = value.partition("-")
    if not ms.isdigit() or (sep and not seq.isdigit()):
        raise ValueError(f"Not a cursor: {value[:60]!r}.")


async def merge_forward(
    read: Callable[[int, str | None, int], Awaitable[list[Entry]]],
    starts: Sequence[str | None],
    limit: int,
) -> tuple[list[tuple[int, str, dict[str, Any]]], list[str | None]]:
    """The first `limit` entries after `starts` across partitions, oldest first, as (partition,
    id, fields), and the positions after them. `read(k, after, n)` returns up to n entries of
    partition k after `after` (None: from the start), oldest first."""
    found: list[tuple[tuple[int, int], int, str, dict[str, Any]]] = []
    for k, start in enumerate(starts):
        for entry_id, fields in await read(k, start, limit):
            found.append((id_key(entry_id), k, entry_id, fields))
    taken = heapq.nsmallest(limit, found, key=lambda e: (e[0], e[1]))
    positions = list(starts)
    for _, k, entry_id, _ in taken:
        positions[k] = entry_id
    return [(k, entry_id, fields) for _, k, entry_id, fields in taken], positions


def qualify(part: keys.Partition, stream_id: str) -> str:
    """The ENTRY_ID of partition `part`'s entry `stream_id`."""
    return stream_id if keys.partitions() == 1 else f"p{part.index}-{stream_id}"


def locate(entry_id: str) -> tuple[keys.Partition, str] | None:
    """The partition and stream id an ENTRY_ID names (a plain id: partition 0, where every
    entry was before there were partitions); None for a partition there is not."""
    found = _QUALIFIED.fullmatch(entry_id)
    if found is None:
        return keys.part(0), entry_id
    k = int(found[1])
    return (keys.part(k), found[2]) if k < keys.partitions() else None
