"""Claims: which reviewer is working on which comment.

A claim is an entry of its partition's claims hash (`keys.part_of(ref).claims`, `keys.CLAIMS`
with one partition: ref -> "<expiry ms>:<reviewer>"), the expiry
on the Redis server's clock: the lease. It lapses on its own when nobody renews it (the UI renews
it while the comment is open); claiming or renewing is one Lua script that checks and sets in
one step, and claim-next (RedisQueues.claim_next) takes its claims inside the same walk that
picks the comments, so two reviewers are never handed the same comment. A decision releases the
claim in its own script and is refused while another reviewer's claim is live. One hash rather
than a key per comment so that every script declares every key it touches (claim-next finds its
comments inside the script), as Redis Cluster asks. Every operation is O(1) per comment, but a
capped claim (`max_claims`), which counts the reviewer's live claims first: O(max_claims).
"""

from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio as aioredis

from moderator import keys
from moderator.adapters.redis import scripts as redis_scripts
from moderator.adapters.redis.client import async_unavailable_as_error
from moderator.errors import ClaimedError, ConflictError, NotFoundError, TooManyClaimsError


@dataclass(frozen=True, slots=True)
class Claim:
    ref: str
    by: str
    expires_at_ms: int


class RedisClaims:
    def __init__(self, client: aioredis.Redis) -> None:
        self._client = client
        self._claim_one = client.register_script(redis_scripts.CLAIM_ONE)
        self._release = client.register_script(redis_scripts.RELEASE)

    async def claim(
        self, ref: str, who: str, lease_ms: int, now_ms: int, *, max_claims: int = 0
    ) -> Claim:
        """Claim (or renew) the comment for `who`. ClaimedError naming the holder when another
        reviewer's claim is live; NotFoundError for an unknown comment; ConflictError when it
        is not awaiting a decision; TooManyClaimsError when `who` already holds `max_claims`
        live claims (0: no cap, and the claim is not counted: bulk actions decide at once).
        With several partitions the claims held in the others are counted first (the cap is
        then exact but for claims taken at the same moment in another partition)."""
        part = keys.part_of(ref)
        async with async_unavailable_as_error():
            cap, elsewhere = max_claims, 0
            if max_claims:
                elsewhere = await held_elsewhere(self._client, who, part, now_ms)
                cap = max_claims - elsewhere
                if cap <= 0:
                    mine = (await self.holders([ref], now_ms)).get(ref)
                    if mine is None or mine.by != who:
                        raise too_many_claims(elsewhere)
                    cap = 0  # a renewal always goes through
            owner, left, *held = await self._claim_one(
                keys=[part.claims, keys.comment(ref), part.claims_of(who)],
                args=[who, lease_ms, now_ms, cap, ref],
            )
            if held:
                held = [int(held[0]) + elsewhere]
        if owner == "":
            if left == "missing":
                raise NotFoundError(f"No comment {ref!r}.")
            if left == "LIMIT":
                raise too_many_claims(int(held[0]))
            raise ConflictError(f"Comment {ref!r} is {left}, not awaiting a decision.")
        if owner != who:
            raise ClaimedError(f"Comment {ref!r} is being reviewed by {owner}.", owner)
        return Claim(ref, who, now_ms + int(left))

    async def release(self, ref: str, who: str, *, force: bool = False) -> bool:
        """Give the claim up. True when released, False when nobody held it; ClaimedError when
        it is someone else's (unless `force`: an admin freeing a comment)."""
        async with async_unavailable_as_error():
            result = await self._release(
                keys=[keys.part_of(ref).claims], args=[who, "1" if force else "0", ref]
            )
        if isinstance(result, str):
            raise ClaimedError(f"Comment {ref!r} is being reviewed by {result}.", result)
        return bool(result)

    async def holders(self, refs: list[str], now_ms: int) -> dict[str, Claim]:
        """The live claims among `refs` (one HGET each, in one pipeline; `now_ms` decides
        which have lapsed)."""
        if not refs:
            return {}
        async with async_unavailable_as_error():
            pipe = self._client.pipeline(transaction=False)
            for ref in refs:
                pipe.hget(keys.part_of(ref).claims, ref)
            values = await pipe.execute()
        found = {ref: live_claim(value, now_ms) for ref, value in zip(refs, values, strict=True)}
        return {ref: Claim(ref, *held) for ref, held in found.items() if held}


async def held_elsewhere(
    client: aioredis.Redis, who: str, part: keys.Partition, now_ms: int
) -> int:
    """How many live claims `who` holds in the partitions other than `part` (0 with one)."""
    others = [p for p in keys.parts() if p != part]
    if not others:
        return 0
    pipe = client.pipeline(transaction=False)
    for p in others:
        pipe.zrange(p.claims_of(who), 0, -1)
    listed = await pipe.execute()
    pipe = client.pipeline(transaction=False)
    for p, refs in zip(others, listed, strict=True):
        for ref in refs:
            pipe.hget(p.claims, ref)
    values = await pipe.execute()
    return sum(1 for v in values if (held := live_claim(v, now_ms)) and held[0] == who)


def live_claim(value: str | None, now_ms: int) -> tuple[str, int] | None:
    """(reviewer, expiry ms) of a claims-hash entry, or None when there is none or it lapsed."""
    if not value:
        return None
    expiry, _, who = value.partition(":")
    return (who, int(expiry)) if int(expiry) > now_ms else None


def too_many_claims(held: int) -> TooManyClaimsError:
    return TooManyClaimsError(
        f"You already hold {held} claims, the most review.max_claims allows: decide or release "
        "some before claiming more."
    )
