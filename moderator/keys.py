"""Every Redis key, stream and group name moderator uses, built in one place.

Every key starts with a hash tag, so each operation's keys hash to one Redis Cluster slot: every
Lua script, MULTI block and multi-key command sees its keys on one node, on a standalone Redis,
under Sentinel and on a cluster alike. With one partition (`redis.partitions = 1`, the default)
every key carries `{mod}` and one primary holds all of moderator's data. With P partitions, a
site's comments and everything that follows them (ingest stream, queues and their indexes,
claims, feed, audit, outbox, recently decided, second opinions, authors) carry its partition's
tag (`partition_of(site)`: `{mod}` for partition 0, `{mod:p<K>}` for the others), so a cluster
spreads sites over its primaries; accounts, policies, sites and the other globals stay under
`{mod}`. Per-comment names (`comment(ref)`, …) find the partition from the ref's site; a
partition's own keys are `part(k).…`, and the module-level names below (INGEST_STREAM, …) are
partition 0's. docs/DESIGN.md ("Redis topologies") gives the reason for each slot choice.
Data written before the tag existed sits under `LEGACY_PREFIX`; `moderator migrate` moves it.
"""

import zlib
from dataclasses import dataclass
from functools import cache

PREFIX = "{mod}:"
LEGACY_PREFIX = "mod:"  # the first layout (no hash tag): `moderator migrate` moves it

INGEST_STREAM = PREFIX + "ingest"
INGEST_GROUP = "workers"
DEAD_STREAM = PREFIX + "ingest:dead"  # comments whose scoring failed for good (held for review)
FEED_STREAM = PREFIX + "feed"  # scored and decided events: the pull feed and the audit trail
AUDIT_STREAM = PREFIX + "audit"  # decided events only (a copy): what audit search and export read
OUTBOX = PREFIX + "outbox"  # sorted set of feed ids due for callback delivery, by due time (ms)
OUTBOX_ATTEMPTS = PREFIX + "outbox:attempts"  # hash feed id -> attempts so far
OUTBOX_ERRORS = PREFIX + "outbox:errors"  # hash feed id -> last delivery error
OUTBOX_DEAD = PREFIX + "outbox:dead"  # sorted set of dead-lettered feed ids, by when (ms)
QUEUES = ("hold", "review")
MODEL_INFO = PREFIX + "model"  # hash: what the workers are scoring with
RECENT = PREFIX + "recent"  # sorted set of refs by decision time (ms), capped
USERS = PREFIX + "users"  # set of user names
TOKENS = PREFIX + "tokens"  # set of token digests
#: Hash ref -> "<expiry ms>:<reviewer>": every claim (a lease), its expiry on the Redis server's
#: clock (adapters/redis/claims.py). One key, so every script that checks or takes a claim
#: declares it in KEYS (one claim key per comment could not be: claim-next finds its comments
#: inside the script).
CLAIMS = PREFIX + "claims"
OUTBOX_REFS = PREFIX + "outbox:refs"  # hash feed id -> ref, for every event in a chain
#: A string nobody reads: the webhook SETs it (with a short TTL) right before WAIT, on the same
#: connection, so the WAIT covers every write made before it on any connection (WAIT counts the
#: replicas that acknowledged this connection's last write). A write, not a PUBLISH: a Redis
#: Cluster does not replicate PUBLISH, and this key's tag routes it to the primary WAIT must ask
#: (`wait_mark(ref)`: the one holding the comment's partition; this name is partition 0's).
WAIT_MARK = PREFIX + "wait"
READY_PROBE = PREFIX + "ready-probe"  # string with a TTL: /readyz writes it to prove Redis writable
SITES = PREFIX + "sites"  # hash site name -> site settings JSON (`moderator sites add`)
LAYOUT = PREFIX + "layout"  # hash: partitions (redis.partitions the data was written with)


def comment(ref: str) -> str:
    return f"{prefix_of(ref)}comment:{ref}"


def queue(name: str) -> str:
    """The queue itself: every waiting comment, by priority then age (core.ordering)."""
    return f"{PREFIX}queue:{name}"


def queue_index(name: str, order: str, dim: str | None = None) -> str:
    """One ordered view of a queue: `order` is priority or oldest; `dim` a filter such as
    "site:blog" (None: the whole queue). The whole queue by priority is `queue(name)`."""
    if order == "priority" and dim is None:
        return queue(name)
    return f"{PREFIX}qx:{name}:{order}:{dim or '*'}"


def claims_of(who: str) -> str:
    """Sorted set of the refs a reviewer claimed, by lease expiry (ms): what review.max_claims
    counts (entries whose claim is gone or someone else's are dropped as it counts)."""
    return f"{PREFIX}claims-of:{who}"


def history(ref: str) -> str:
    """List of audit-stream ids: every decision on one comment, oldest first."""
    return f"{prefix_of(ref)}history:{ref}"


def notes(ref: str) -> str:
    return f"{prefix_of(ref)}notes:{ref}"


def outbox_chain(ref: str) -> str:
    """List of one comment's feed ids awaiting callback delivery, in order; only the head is
    ever in OUTBOX, so version n+1 is never sent before version n."""
    return f"{prefix_of(ref)}outbox:chain:{ref}"


def author(site: str, author_id: str) -> str:
    """Sorted set of the author's comment refs by arrival time (ms), capped."""
    return f"{part_of_site(site).prefix}author:{site}:{author_id}"


def author_counts(site: str, author_id: str) -> str:
    """Hash state -> how many of the author's comments are in that state now."""
    return f"{part_of_site(site).prefix}author-counts:{site}:{author_id}"


def token(digest: str) -> str:
    return f"{PREFIX}token:{digest}"


def user(name: str) -> str:
    return f"{PREFIX}user:{name}"


def session(sid: str) -> str:
    return f"{PREFIX}session:{sid}"


def login_failures(kind: str, value: str) -> str:
    """Hash {n: attempts, until: ms} of logins for an account (`kind` "user") or an address
    ("addr"), counted before the password is checked (adapters/redis/logins.py); expires."""
    return f"{PREFIX}login:{kind}:{value}"


def revisions(ref: str) -> str:
    """List of JSON snapshots of the comment's earlier revisions (text, record, decision), oldest
    first; the current revision is the comment hash itself."""
    return f"{prefix_of(ref)}revisions:{ref}"


def heartbeats(role: str) -> str:
    """Hash process name -> JSON heartbeat ({at, ...}) of every `role` loop ("worker",
    "deliverer"): written by the loop, read by /healthz and /metrics."""
    return f"{PREFIX}heartbeats:{role}"


TOKEN_NAMES = PREFIX + "token-names"  # hash principal name -> digest of its one live token


def integration_links(platform: str, site: str) -> str:
    """Hash: moderator comment id -> the platform's own id for it (a platform whose webhook
    names a comment moderator first saw under another id, such as Coral's moderation phase)."""
    return f"{part_of_site(site).prefix}links:{platform}:{site}"


# Policies as versioned data (issue 13): every applied policy is kept; one is current.
POLICY_VERSIONS = PREFIX + "policy:versions"  # hash version -> JSON {text, by, why, at, seq}
POLICY_CURRENT = PREFIX + "policy:current"  # string: the current version
POLICY_LOG = PREFIX + "policy:log"  # list of JSON {at, by, why, action, version, previous}

# Second opinions (issue 13 section 4): a share of decided comments asked of a second reviewer.
SECOND_QUEUE = PREFIX + "second:queue"  # sorted set of refs awaiting a second opinion, by ask time
SECOND_DONE = PREFIX + "second:done"  # stream: {ref, first_by, first, second_by, second, ...}
SECOND_DISAGREE = PREFIX + "second:disagree"  # sorted set of SECOND_DONE ids that disagree, by ms


def second_first(ref: str) -> str:
    """Hash: the first decision a second opinion is asked about (by, decision, version, at,
    categories); never shown to the second reviewer."""
    return f"{prefix_of(ref)}second:first:{ref}"


# The archive (adapters/archive/archiver.py): one archiver at a time, resumable batches.
ARCHIVE_LEASE = PREFIX + "archive:lease"  # string with a TTL: the running archiver's token
ARCHIVE_PENDING = PREFIX + "archive:pending"  # hash batch name -> JSON {day, refs}: planned,
# maybe written, not yet deleted from Redis; removed last, so an interrupted run resumes it
ARCHIVE_AUDIT_UPTO = PREFIX + "archive:audit-upto"  # the last audit id written to the archive
ARCHIVE_LAST_RUN = PREFIX + "archive:last-run"  # hash: at (ms) and counts of the last run
# Synchronous scoring (the Perspective-compatible endpoints): a request/reply path through
# Redis. API processes XADD to SYNC_STREAM; any worker reads it (group SYNC_GROUP) before the
# ingest stream and LPUSHes the record to the request's reply list, which the API BLPOPs.
SYNC_STREAM = PREFIX + "sync"
SYNC_GROUP = "workers"
PERSPECTIVE_COUNTERS = PREFIX + "perspective:counters"  # hash: analyze/suggest/stored counts


def sync_reply(request_id: str) -> str:
    """List the worker LPUSHes one sync request's answer to (expires soon after)."""
    return f"{PREFIX}sync:reply:{request_id}"


def perspective_rate(principal: str, window: int) -> str:
    """Counter of one token's Perspective requests in one rate window (expires with it)."""
    return f"{PREFIX}perspective:rate:{principal}:{window}"


# Partitions (redis.partitions): see the module's docstring.
_partitions = 1


def configure(partitions: int) -> None:
    """Set how many partitions this process's names spread over (bootstrap does, from
    `redis.partitions`, checked against what the Redis records: adapters/redis/layout.py)."""
    global _partitions
    if partitions < 1:
        raise ValueError("partitions must be at least 1")
    _partitions = partitions


def partitions() -> int:
    return _partitions


def tag(k: int) -> str:
    return "{mod}" if k == 0 else f"{{mod:p{k}}}"


@dataclass(frozen=True, slots=True)
class Partition:
    """One partition's keys: what every comment of its sites shares."""

    index: int
    prefix: str

    @property
    def ingest(self) -> str:
        return self.prefix + "ingest"

    @property
    def dead(self) -> str:
        return self.prefix + "ingest:dead"

    @property
    def feed(self) -> str:
        return self.prefix + "feed"

    @property
    def audit(self) -> str:
        return self.prefix + "audit"

    @property
    def outbox(self) -> str:
        return self.prefix + "outbox"

    @property
    def outbox_attempts(self) -> str:
        return self.prefix + "outbox:attempts"

    @property
    def outbox_errors(self) -> str:
        return self.prefix + "outbox:errors"

    @property
    def outbox_dead(self) -> str:
        return self.prefix + "outbox:dead"

    @property
    def outbox_refs(self) -> str:
        return self.prefix + "outbox:refs"

    @property
    def recent(self) -> str:
        return self.prefix + "recent"

    @property
    def claims(self) -> str:
        return self.prefix + "claims"

    @property
    def second_queue(self) -> str:
        return self.prefix + "second:queue"

    @property
    def second_done(self) -> str:
        return self.prefix + "second:done"

    @property
    def second_disagree(self) -> str:
        return self.prefix + "second:disagree"

    def queue(self, name: str) -> str:
        return f"{self.prefix}queue:{name}"

    def queue_index(self, name: str, order: str, dim: str | None = None) -> str:
        if order == "priority" and dim is None:
            return self.queue(name)
        return f"{self.prefix}qx:{name}:{order}:{dim or '*'}"

    def claims_of(self, who: str) -> str:
        return f"{self.prefix}claims-of:{who}"


@cache
def part(k: int) -> Partition:
    return Partition(k, tag(k) + ":")


def parts() -> list[Partition]:
    """Every partition, in order."""
    return [part(k) for k in range(_partitions)]


def partition_of(site: str) -> int:
    """The partition of a site's comments: CRC-32 of its name modulo the partitions (0 with
    one). Stable across processes and versions: it decides where data lives."""
    return 0 if _partitions == 1 else zlib.crc32(site.encode()) % _partitions


def part_of_site(site: str) -> Partition:
    return part(partition_of(site))


def part_of(ref: str) -> Partition:
    """The partition of a comment, from its ref (`site:id`; sites hold no ':')."""
    return part_of_site(ref.split(":", 1)[0])


def prefix_of(ref: str) -> str:
    return part_of(ref).prefix


def wait_mark(ref: str) -> str:
    """WAIT_MARK of the comment's partition."""
    return prefix_of(ref) + "wait"
