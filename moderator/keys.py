"""Every Redis key, stream and group name moderator uses, built in one place."""

PREFIX = "mod:"

INGEST_STREAM = PREFIX + "ingest"
INGEST_GROUP = "workers"
DEAD_STREAM = PREFIX + "ingest:dead"
FEED_STREAM = PREFIX + "feed"  # scored and decided events: the pull feed and the audit trail
OUTBOX = PREFIX + "outbox"  # sorted set of feed ids due for callback delivery, by due time (ms)
OUTBOX_ATTEMPTS = PREFIX + "outbox:attempts"  # hash feed id -> attempts so far
OUTBOX_ERRORS = PREFIX + "outbox:errors"  # hash feed id -> last delivery error
QUEUES = ("hold", "review")
MODEL_INFO = PREFIX + "model"  # hash: what the workers are scoring with


def comment(ref: str) -> str:
    return f"{PREFIX}comment:{ref}"


def queue(name: str) -> str:
    return f"{PREFIX}queue:{name}"


def token(digest: str) -> str:
    return f"{PREFIX}token:{digest}"


def user(name: str) -> str:
    return f"{PREFIX}user:{name}"


USERS = PREFIX + "users"  # set of user names


def session(sid: str) -> str:
    return f"{PREFIX}session:{sid}"
