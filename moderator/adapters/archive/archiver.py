"""The archiver: decided comments older than retention.hot_days leave Redis for the archive.

Guarantee: nothing is deleted from Redis before the file that holds it is written whole and
fsynced, and an interrupted run (killed at any point) loses nothing and writes nothing twice
when run again. How (docs/reliability.md, "The archive"):

1. Plan: a batch (one day, at most `batch_size` comments) is recorded in `keys.ARCHIVE_PENDING`
   under a name fixed once, before anything is written.
2. Write: the batch's comments, with their score records, decisions, notes and earlier
   revisions, go to `comments/day=<day>/<name>.parquet`. A file of that name that exists was
   written whole by an interrupted run: it is kept and read instead of written again.
3. Delete: each comment leaves Redis only if it is still what the file holds (ARCHIVE_DELETE);
   one that changed since (a late edit, a platform's verdict) or still owes a callback stays.
4. The plan is removed last.

Each partition's audit entries older than the cutoff go to `audit/day=<day>/<first id>.parquet`
(`<first id>.p<K>` for partition K > 0: stream ids repeat across partitions), then that
partition's checkpoint (`audit_upto_key`) advances; its audit stream is trimmed only up to it,
its feed only behind both the cutoff and the oldest event its callback outbox still owes a
platform (queued, waiting in a chain, or dead-lettered). A comment leaves Redis with its own
partition's keys. One archiver runs at a time under a lease in Redis, renewed after every batch;
a run that loses it stops (every step is safe to redo).
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as aioredis

from moderator import keys
from moderator.adapters.archive import redis_source
from moderator.adapters.archive.model import DecidedComment
from moderator.adapters.archive.parquet import (
    AUDIT,
    COMMENTS,
    ParquetArchive,
    day_of,
)
from moderator.adapters.redis import index as redis_index
from moderator.adapters.redis import scripts as redis_scripts
from moderator.adapters.redis.audit import just_after, just_before
from moderator.adapters.redis.client import async_unavailable_as_error, is_cluster
from moderator.errors import ConflictError

log = logging.getLogger(__name__)
DAY_MS = 86_400_000
_DELETE_CHUNK = 500  # ARCHIVE_DELETE calls per pipeline


@dataclass
class ArchiveReport:
    cutoff_ms: int = 0
    archived: int = 0  # comments written and deleted from Redis
    kept: int = 0  # written but kept in Redis: changed since, or a callback still owed
    audit_entries: int = 0
    files: list[str] = field(default_factory=list)
    audit_trimmed: int = 0
    feed_trimmed: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "files"} | {"files": len(self.files)}


class Archiver:
    def __init__(
        self,
        client: aioredis.Redis,
        archive: ParquetArchive,
        *,
        hot_days: float,
        batch_size: int = 1000,
        lease_ms: int = 600_000,
        checkpoint: Callable[[str], None] | None = None,
    ) -> None:
        self._client = client
        self.archive = archive
        self.hot_days = hot_days
        self.batch_size = batch_size
        self.lease_ms = lease_ms
        self._checkpoint = checkpoint or (lambda step: None)
        self._delete = client.register_script(redis_scripts.ARCHIVE_DELETE)
        self._lease = client.register_script(redis_scripts.LEASE_RENEW)
        self._token = ""

    async def run(self, now_ms: int) -> ArchiveReport:
        """Archive everything decided before now - hot_days, then trim the streams behind it.
        ConflictError when another archiver holds the lease; ArchiveError when the archive
        cannot be written (nothing of that batch was deleted)."""
        report = ArchiveReport(cutoff_ms=int(now_ms - self.hot_days * DAY_MS))
        async with async_unavailable_as_error():
            self._token = secrets.token_hex(16)
            if not await self._client.set(
                keys.ARCHIVE_LEASE, self._token, nx=True, px=self.lease_ms
            ):
                raise ConflictError("Another archiver is running (it holds the archive lease).")
            try:
                await self._run(report, now_ms)
            except Exception:
                await self._lease(keys=[keys.ARCHIVE_LEASE], args=[self._token, "0"])
                raise
            await self._lease(keys=[keys.ARCHIVE_LEASE], args=[self._token, "0"])
        log.info("archive: %s", report.as_dict())
        return report

    async def _run(self, report: ArchiveReport, now_ms: int) -> None:
        pending = await self._client.hgetall(keys.ARCHIVE_PENDING)
        for name in sorted(pending):
            await self._finish(name, json.loads(pending[name]), report, now_ms)
        await self._plan(report, now_ms)
        await self._archive_audit(report)
        await self._trim(report)
        summary = {"at": now_ms, **{k: v for k, v in report.as_dict().items()}}
        await self._client.hset(keys.ARCHIVE_LAST_RUN, mapping=summary)

    async def _renew(self) -> None:
        if not await self._lease(keys=[keys.ARCHIVE_LEASE], args=[self._token, self.lease_ms]):
            raise ConflictError("The archive lease was lost to another archiver; stopped.")

    async def _plan(self, report: ArchiveReport, now_ms: int) -> None:
        by_day: dict[str, list[str]] = defaultdict(list)
        async for batch in redis_source.decided_refs(self._client, until_ms=report.cutoff_ms - 1):
            owed = await _owing(self._client, [ref for ref, _ in batch])
            for ref, at in batch:
                if ref not in owed:
                    by_day[day_of(at)].append(ref)
        n = 0
        for day in sorted(by_day):
            refs = sorted(by_day[day])
            for start in range(0, len(refs), self.batch_size):
                name = f"{now_ms}-{n:05d}"
                plan = {"day": day, "refs": refs[start : start + self.batch_size]}
                await self._client.hset(keys.ARCHIVE_PENDING, name, json.dumps(plan))
                self._checkpoint("planned")
                await self._finish(name, plan, report, now_ms)
                n += 1

    async def _finish(
        self, name: str, plan: dict[str, Any], report: ArchiveReport, now_ms: int
    ) -> None:
        """Write the batch's file (unless an earlier run did), delete what it holds from Redis,
        then the plan."""
        day, refs = plan["day"], plan["refs"]
        if await asyncio.to_thread(self.archive.exists, COMMENTS, day, name):
            written = await asyncio.to_thread(
                self.archive.read,
                self.archive.path(COMMENTS, day, name),
                ["ref", "version", "revision", "notes_count", "comment", "record"],
            )
        else:
            items = await redis_source.load(self._client, refs, self.archive)
            written = [_row(i, name, now_ms) for i in items]
            if written:
                path = await asyncio.to_thread(self.archive.write, COMMENTS, day, name, written)
                report.files.append(path)
        self._checkpoint("written")
        for start in range(0, len(written), _DELETE_CHUNK):
            chunk = written[start : start + _DELETE_CHUNK]
            if is_cluster(self._client):  # a cluster pipeline refuses EVALSHA: one call each
                replies = [await self._delete_one(row, None) for row in chunk]
            else:
                pipe = self._client.pipeline(transaction=False)
                for row in chunk:
                    await self._delete_one(row, pipe)
                replies = await pipe.execute()
            for done in replies:
                report.archived += int(done) >= 0
                report.kept += int(done) < 0
            self._checkpoint("deleted")
        await self._client.hdel(keys.ARCHIVE_PENDING, name)
        self._checkpoint("batch-done")
        await self._renew()

    async def _delete_one(self, row: dict[str, Any], pipe: Any) -> Any:
        """ARCHIVE_DELETE for one written row: queued on `pipe`, or run now when `pipe` is None
        (replies: 1, 0 or -1)."""
        ref = row["ref"]
        comment = json.loads(row["comment"])
        part = keys.part_of(ref)
        history, counts, has_author = redis_index.author_keys(comment)
        record = json.loads(row["record"]) if row.get("record") else None
        by_priority, by_age = redis_index.index_keys(
            redis_index.SAMPLE_QUEUE, redis_index.dims(comment, record), part
        )
        script_keys = [
            keys.comment(ref),
            keys.notes(ref),
            keys.history(ref),
            keys.revisions(ref),
            keys.outbox_chain(ref),
            part.recent,
            history,
            part.claims,
            counts,
            *by_priority,
            *by_age,
        ]
        args = [ref, row["version"], row["revision"], row["notes_count"], int(has_author)]
        return await self._delete(keys=script_keys, args=args, client=pipe)

    async def _archive_audit(self, report: ArchiveReport) -> None:
        for part in keys.parts():
            await self._archive_audit_of(part, report)

    async def _archive_audit_of(self, part: keys.Partition, report: ArchiveReport) -> None:
        """One partition's audit entries before the cutoff, by day, in files named by their
        first id (and the partition: audit_file_name), behind its own checkpoint."""
        high = just_before(f"{report.cutoff_ms}-0")
        checkpoint = audit_upto_key(part)
        while high is not None:
            upto = await self._client.get(checkpoint)
            low = just_after(upto) if upto else "-"
            if low is None:
                return
            batch = await self._client.xrange(part.audit, min=low, max=high, count=self.batch_size)
            if not batch:
                return
            day = day_of(_ms(batch[0][0]))
            batch = [e for e in batch if day_of(_ms(e[0])) == day]
            name = audit_file_name(part, batch[0][0])
            if await asyncio.to_thread(self.archive.exists, AUDIT, day, name):
                ids = await asyncio.to_thread(
                    self.archive.read, self.archive.path(AUDIT, day, name), ["audit_id"]
                )
                last = max((r["audit_id"] for r in ids), key=_id_key)
            else:
                rows = [_audit_row(aid, fields) for aid, fields in batch]
                report.files.append(
                    await asyncio.to_thread(self.archive.write, AUDIT, day, name, rows)
                )
                report.audit_entries += len(rows)
                last = batch[-1][0]
            self._checkpoint("audit-written")
            await self._client.set(checkpoint, last)
            await self._renew()

    async def _trim(self, report: ArchiveReport) -> None:
        for part in keys.parts():
            await self._trim_of(part, report)

    async def _trim_of(self, part: keys.Partition, report: ArchiveReport) -> None:
        """One partition's audit stream up to its checkpoint; its feed behind the cutoff and
        the oldest event its outbox still owes."""
        upto = await self._client.get(audit_upto_key(part))
        if upto and (bound := just_after(upto)):
            report.audit_trimmed += int(
                await self._client.xtrim(part.audit, minid=bound, approximate=False)
            )
        bound = f"{report.cutoff_ms}-0"
        owed = await _owed_events(self._client, part)
        if owed:
            bound = min(bound, min(owed, key=_id_key), key=_id_key)
        report.feed_trimmed += int(
            await self._client.xtrim(part.feed, minid=bound, approximate=False)
        )
        self._checkpoint("trimmed")


def audit_upto_key(part: keys.Partition) -> str:
    """The last audit id of the partition's stream written to the archive. Partition 0 keeps
    keys.ARCHIVE_AUDIT_UPTO (one partition: the name it always had); partition K adds ":p<K>"."""
    return (
        keys.ARCHIVE_AUDIT_UPTO if part.index == 0 else f"{keys.ARCHIVE_AUDIT_UPTO}:p{part.index}"
    )


def audit_file_name(part: keys.Partition, first_id: str) -> str:
    """The name of an audit batch file: its first stream id, plus ".p<K>" for partition K > 0
    (the same id can start a batch of two partitions on the same day; partition 0's names are
    the ones one partition always had)."""
    return first_id if part.index == 0 else f"{first_id}.p{part.index}"


async def _owing(client: aioredis.Redis, refs: list[str]) -> set[str]:
    """The refs whose callback chain still holds an event (not yet delivered)."""
    pipe = client.pipeline(transaction=False)
    for ref in refs:
        pipe.llen(keys.outbox_chain(ref))
    return {ref for ref, n in zip(refs, await pipe.execute(), strict=True) if n}


async def _owed_events(client: aioredis.Redis, part: keys.Partition) -> list[str]:
    """Every feed id of the partition its outbox still owes a platform: due, waiting in a
    chain, dead-lettered (read in one MULTI, inside the partition, so an event moving between
    them is seen in one place or the other)."""
    pipe = client.pipeline(transaction=True)
    pipe.hkeys(part.outbox_refs)
    pipe.zrange(part.outbox, 0, -1)
    pipe.zrange(part.outbox_dead, 0, -1)
    refs, due, dead = await pipe.execute()
    return [*refs, *due, *dead]


def _ms(stream_id: str) -> int:
    return int(stream_id.partition("-")[0])


def _id_key(stream_id: str) -> tuple[int, int]:
    ms, _, seq = stream_id.partition("-")
    return int(ms), int(seq or 0)


def _row(item: DecidedComment, batch: str, now_ms: int) -> dict[str, Any]:
    return {
        "ref": item.ref,
        "site": item.site,
        "id": item.id,
        "state": item.state,
        "decided_at": item.decided_at,
        "version": item.version,
        "revision": item.revision,
        "received_at": item.received_at,
        "action": item.action,
        "sampled": item.sampled,
        "language": (item.record or {}).get("language"),
        "notes_count": len(item.notes),
        "comment": json.dumps(item.comment, ensure_ascii=False),
        "record": json.dumps(item.record, ensure_ascii=False) if item.record else None,
        "decision": json.dumps(item.decision, ensure_ascii=False) if item.decision else None,
        "decisions": json.dumps(item.decisions, ensure_ascii=False),
        "notes": json.dumps(item.notes, ensure_ascii=False),
        "revisions": json.dumps(item.revisions, ensure_ascii=False),
        "archived_at": now_ms,
        "batch": batch,
    }


def _audit_row(aid: str, fields: dict[str, str]) -> dict[str, Any]:
    data = json.loads(fields["data"])
    ms, seq = _id_key(aid)
    return {
        "audit_id": aid,
        "id_ms": ms,
        "id_seq": seq,
        "feed_id": fields.get("feed"),
        "at": int(data.get("at") or ms),
        "site": data.get("site"),
        "id": data.get("id"),
        "decision": data.get("decision"),
        "by": data.get("by"),
        "data": fields["data"],
    }
