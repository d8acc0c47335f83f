"""Every exception moderator raises on purpose. The web layer alone maps them to HTTP status."""


class ModeratorError(Exception):
    """Base class: the message is one sentence a user can act on."""


class ConfigError(ModeratorError):
    """A setting, policy file or lexicon file is invalid; start-up stops."""


class ModelUnavailableError(ModeratorError):
    """A toxicity model cannot be loaded (weights missing and not downloadable, bad checkpoint)."""


class StoreUnavailableError(ModeratorError):
    """Redis cannot be reached; nothing was written."""


class SyncTimeoutError(StoreUnavailableError):
    """No scoring worker answered a synchronous request in time (none running, or all busy)."""


class StoreFullError(StoreUnavailableError):
    """Redis refuses writes because it is out of memory (maxmemory, noeviction); nothing was
    written."""


class NotReplicatedError(StoreUnavailableError):
    """The write is stored on the Redis primary but fewer replicas than webhook.wait_replicas
    confirmed it in time; the sender should retry (the comment is kept, a retry is recognised)."""


class NotFoundError(ModeratorError):
    """No such comment, user or token."""


class ConflictError(ModeratorError):
    """The request does not fit the current state (for example deciding a comment twice)."""


class AuthError(ModeratorError):
    """Bad credentials, unknown token or a role that may not do this."""


class BacklogFullError(ModeratorError):
    """The ingest backlog is at its ceiling; the sender should back off and retry."""


class ForbiddenError(ModeratorError):
    """The caller is known but its role may not do this (a reviewer on an admin page or API)."""


class StaleRevisionError(ConflictError):
    """A decision on a revision that is no longer current (the comment was edited since the
    reviewer read it); `current` is the current revision."""

    def __init__(self, message: str, current: int) -> None:
        super().__init__(message)
        self.current = current


class ClaimedError(ConflictError):
    """Another reviewer holds an unexpired claim on the comment; `owner` names them."""

    def __init__(self, message: str, owner: str) -> None:
        super().__init__(message)
        self.owner = owner


class TooManyClaimsError(ConflictError):
    """The caller already holds review.max_claims live claims; a new one is refused."""


class RateLimitedError(ModeratorError):
    """Too many attempts (failed logins) for now; `retry_after_s` says when to try again."""

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class ArchiveError(ModeratorError):
    """The archive (archive.url) cannot be written or read; nothing was deleted from Redis."""
