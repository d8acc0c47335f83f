"""The archive: append-only Parquet files partitioned by day, at a directory or any fsspec URL.

Layout (docs/DESIGN.md, "Archive"): `<url>/comments/day=YYYY-MM-DD/<batch>.parquet` (one row per
archived comment, the day of its last decision) and `<url>/audit/day=YYYY-MM-DD/<first audit
id>.parquet` (one row per audit entry, the day of its stream id). A file appears whole or not at
all: it is written under a temporary name, fsynced, renamed and its directory fsynced (on object
stores, one PUT). Files are never rewritten: a name that exists is complete.

Reads go through DuckDB over the file list (only the days a window needs), so a window query
costs the days it covers, not the archive's size.

With several partitions (keys.py) each partition's audit stream is archived on its own, and
stream ids repeat across partitions: an audit entry is identified by its id and site (a site
lives in one partition), and entries with equal ids are ordered by partition, as Redis's merged
reads order them. SQL finds a row's partition from its site with `AUDIT_PARTITION`
(keys.partition_of, the same function that placed it).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from moderator import keys
from moderator.adapters.archive.model import DecidedComment
from moderator.errors import ArchiveError

if TYPE_CHECKING:
    import pyarrow as pa

# pyarrow, duckdb and fsspec are imported where they are used: the web process builds an
# archive at start and must start fast (they take about half a second to import).

COMMENTS = "comments"
AUDIT = "audit"
_BATCH_ROWS = 2000
_DAY_MS = 86_400_000

COMMENT_COLUMNS = [
    ("ref", "string"),
    ("site", "string"),
    ("id", "string"),
    ("state", "string"),
    ("decided_at", "int64"),
    ("version", "int64"),
    ("revision", "int64"),
    ("received_at", "int64"),
    ("action", "string"),
    ("sampled", "bool"),
    ("language", "string"),
    ("notes_count", "int64"),
    ("comment", "string"),  # JSON, as stored in Redis
    ("record", "string"),
    ("decision", "string"),
    ("decisions", "string"),  # JSON list of audit entries, oldest first
    ("notes", "string"),
    ("revisions", "string"),
    ("archived_at", "int64"),
    ("batch", "string"),
]
AUDIT_COLUMNS = [
    ("audit_id", "string"),
    ("id_ms", "int64"),
    ("id_seq", "int64"),
    ("feed_id", "string"),
    ("at", "int64"),
    ("site", "string"),
    ("id", "string"),
    ("decision", "string"),
    ("by", "string"),
    ("data", "string"),  # the `decided` event, JSON
]


COLUMNS = {COMMENTS: COMMENT_COLUMNS, AUDIT: AUDIT_COLUMNS}
_MAX_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z
#: SQL for an audit row's partition (a function every query can call when there are several).
AUDIT_PARTITION = "partition_of(site)"


def schema(table: str) -> pa.Schema:
    import pyarrow as pa

    types = {"string": pa.string(), "int64": pa.int64(), "bool": pa.bool_()}
    return pa.schema([(name, types[kind]) for name, kind in COLUMNS[table]])


def audit_partition(site: str | None) -> int:
    """The partition an audit entry of `site` was appended in (an entry without a site, which
    moderator never writes, counts as partition 0's)."""
    return keys.partition_of(site) if site else 0


def day_of(ms: int) -> str:
    """The UTC day of a time in ms, clamped to years 1970..9999 (a cursor may be anything)."""
    return datetime.fromtimestamp(min(max(ms, 0), _MAX_MS) / 1000, UTC).strftime("%Y-%m-%d")


class ParquetArchive:
    def __init__(self, url: str) -> None:
        self.url = url
        self._fs: Any = None
        self.root = ""
        self.local = True

    @property
    def fs(self) -> Any:
        """The fsspec filesystem of archive.url, made on first use (ArchiveError if none)."""
        if self._fs is None:
            import fsspec

            try:
                self._fs, self.root = fsspec.core.url_to_fs(self.url)
            except (ValueError, ImportError) as exc:
                raise ArchiveError(f"archive.url {self.url!r} cannot be used: {exc}") from None
            self.local = "file" in _protocols(self._fs)
        return self._fs

    # --- writing ----------------------------------------------------------------------------

    def path(self, table: str, day: str, name: str) -> str:
        self.fs  # noqa: B018 (resolves root)
        return f"{self.root.rstrip('/')}/{table}/day={day}/{name}.parquet"

    def exists(self, table: str, day: str, name: str) -> bool:
        return bool(self.fs.exists(self.path(table, day, name)))

    def write(self, table: str, day: str, name: str, rows: list[dict[str, Any]]) -> str:
        """Write `rows` (dicts with the table's columns) as one file, whole (temporary name,
        fsync, rename, fsync the directory); a file already there is left as it is (it was
        written whole by an earlier run)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        path = self.path(table, day, name)
        try:
            if self.fs.exists(path):
                return path
            data = pa.Table.from_pylist(rows, schema=schema(table))
            if self.local:
                _write_local(Path(path), data)
            else:
                sink = pa.BufferOutputStream()
                pq.write_table(data, sink, compression="zstd")
                self.fs.pipe_file(path, sink.getvalue().to_pybytes())
        except OSError as exc:
            raise ArchiveError(f"The archive at {self.url} cannot be written: {exc}") from None
        return path

    def read(self, path: str, columns: list[str] | None = None) -> list[dict[str, Any]]:
        """The rows of one file (only `columns`, when given)."""
        import pyarrow.parquet as pq

        with self.fs.open(path, "rb") as f:
            rows: list[dict[str, Any]] = pq.read_table(f, columns=columns).to_pylist()
        return rows

    # --- reading ----------------------------------------------------------------------------

    def files(
        self, table: str, since_ms: int | None = None, until_ms: int | None = None
    ) -> list[str]:
        """The table's files for the days the window touches, oldest day first."""
        low = day_of(since_ms) if since_ms is not None else ""
        high = day_of(until_ms) if until_ms is not None else "9999"
        fs = self.fs
        found = fs.glob(f"{self.root.rstrip('/')}/{table}/day=*/*.parquet")
        out = [p for p in found if low <= _day_in(p) <= high]
        return sorted(out, key=lambda p: (_day_in(p), p))

    def query(
        self,
        table: str,
        sql: str,
        params: list[Any],
        *,
        since_ms: int | None = None,
        until_ms: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Rows of `sql` over the table's files (named `t` in it), in batches."""
        import duckdb

        files = self.files(table, since_ms, until_ms)
        if not files:
            return
        con = duckdb.connect()
        try:
            if not self.local:
                con.register_filesystem(self.fs)
                files = [self.fs.unstrip_protocol(f) for f in files]
            if keys.partitions() > 1:
                _register_partition_of(con)
            source = f"read_parquet({_sql_list(files)}, union_by_name = true)"
            cursor = con.execute(sql.replace("{t}", source), params)
            names = [d[0] for d in cursor.description or []]
            while rows := cursor.fetchmany(_BATCH_ROWS):
                for row in rows:
                    yield dict(zip(names, row, strict=True))
        except duckdb.Error as exc:
            raise ArchiveError(f"The archive at {self.url} could not be read: {exc}") from None
        finally:
            con.close()

    def comments(self, since_ms: int | None, until_ms: int | None) -> Iterator[DecidedComment]:
        """Archived comments decided in the window: the newest row of each ref, oldest first."""
        sql = (
            "SELECT * FROM {t} WHERE decided_at BETWEEN ? AND ? "
            "QUALIFY row_number() OVER (PARTITION BY ref "
            "ORDER BY decided_at DESC, version DESC, archived_at DESC) = 1 "
            "ORDER BY decided_at, ref"
        )
        window = [
            since_ms if since_ms is not None else -1,
            until_ms if until_ms is not None else 2**62,
        ]
        for row in self.query(COMMENTS, sql, window, since_ms=since_ms, until_ms=until_ms):
            yield comment_from_row(row)

    def audit_entries(
        self,
        where: str,
        params: list[Any],
        *,
        newest_first: bool,
        limit: int | None = None,
        since_ms: int | None = None,
        until_ms: int | None = None,
    ) -> list[dict[str, Any]]:
        """Archived audit entries matching `where` (SQL over AUDIT_SCHEMA's columns, and
        AUDIT_PARTITION), each once (by id and site: ids repeat across partitions), by id then
        partition (no comment attached: see attach_comments)."""
        order = "DESC" if newest_first else "ASC"
        sql = (
            "SELECT DISTINCT ON (audit_id, site) * FROM {t} WHERE "
            + (where or "true")
            + f" ORDER BY audit_id, site, id_ms {order}"
        )
        sql = f"SELECT * FROM ({sql}) ORDER BY id_ms {order}, id_seq {order}"
        if keys.partitions() > 1:
            sql += f", {AUDIT_PARTITION} {order}"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        # a file's day is its stream id's; an entry's `at` may differ by clock skew: pad a day
        low = None if since_ms is None else since_ms - _DAY_MS
        high = None if until_ms is None else until_ms + _DAY_MS
        rows = self.query(AUDIT, sql, params, since_ms=low, until_ms=high)
        return [audit_from_row(r) for r in rows]

    def audit_by_ids(self, ids: list[str]) -> list[dict[str, Any]]:
        """The archived audit entries with these ids, oldest first (those not found left out)."""
        if not ids:
            return []
        times = [int(i.partition("-")[0]) for i in ids]
        return self.audit_entries(
            "list_contains(?, audit_id)",
            [sorted(set(ids))],
            newest_first=False,
            since_ms=min(times),
            until_ms=max(times),
        )

    def attach_comments(self, entries: list[dict[str, Any]]) -> None:
        """Set `comment` and `record` on each entry that has none, from the archived comments."""
        wanted = sorted({f"{e.get('site')}:{e.get('id')}" for e in entries if not e.get("comment")})
        if not wanted:
            return
        sql = (
            "SELECT ref, comment, record FROM {t} WHERE list_contains(?, ref) "
            "QUALIFY row_number() OVER (PARTITION BY ref "
            "ORDER BY decided_at DESC, version DESC, archived_at DESC) = 1"
        )
        found = {r["ref"]: r for r in self.query(COMMENTS, sql, [wanted])}
        for e in entries:
            row = found.get(f"{e.get('site')}:{e.get('id')}")
            if row and not e.get("comment"):
                e["comment"] = _json(row["comment"])
                e["record"] = _json(row["record"])


def comment_from_row(row: dict[str, Any]) -> DecidedComment:
    return DecidedComment(
        ref=row["ref"],
        site=row["site"],
        id=row["id"],
        state=row["state"],
        decided_at=int(row["decided_at"]),
        version=int(row["version"]),
        revision=int(row["revision"]),
        received_at=int(row["received_at"]),
        comment=_json(row["comment"]) or {},
        record=_json(row["record"]),
        decision=_json(row["decision"]),
        decisions=_json(row["decisions"]) or [],
        notes=_json(row["notes"]) or [],
        revisions=_json(row["revisions"]) or [],
        action=row["action"],
        sampled=bool(row["sampled"]),
        archived=True,
    )


def audit_from_row(row: dict[str, Any]) -> dict[str, Any]:
    return {"audit_id": row["audit_id"], "feed_id": row["feed_id"], **json.loads(row["data"])}


def _register_partition_of(con: Any) -> None:
    """Make AUDIT_PARTITION callable on `con`: keys.partition_of over a column, once per
    distinct site of each vector DuckDB hands it."""
    import pyarrow as pa
    import pyarrow.compute as pc

    def partition_of(sites: Any) -> Any:  # Any: DuckDB evaluates these hints (no pa there)
        distinct = pc.unique(sites)
        found = pa.array([audit_partition(s) for s in distinct.to_pylist()], pa.int64())
        return pc.take(found, pc.index_in(sites, value_set=distinct))

    con.create_function(
        "partition_of",
        partition_of,
        ["VARCHAR"],
        "BIGINT",
        type="arrow",
        null_handling="special",
    )


def _json(text: str | None) -> Any:
    return json.loads(text) if text else None


def _sql_list(files: list[str]) -> str:
    return "[" + ", ".join("'" + f.replace("'", "''") + "'" for f in files) + "]"


def _day_in(path: str) -> str:
    part = path.rsplit("/", 2)[-2]
    return part.removeprefix("day=")


def _protocols(fs: Any) -> tuple[str, ...]:
    proto = fs.protocol
    return (proto,) if isinstance(proto, str) else tuple(proto)


def _write_local(path: Path, rows: pa.Table) -> None:
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as f:
        pq.write_table(rows, f, compression="zstd")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)
    _fsync_dir(path.parent.parent)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
