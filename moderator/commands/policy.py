"""`moderator policy show|list|diff|apply|rollback`: the policy versions stored in Redis.

Every change is logged with who (`--by`, the login name by default) and why (`--why`, required).
Workers pick up the current version within `policy.reload_s`."""

from __future__ import annotations

import argparse
import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from moderator import bootstrap
from moderator.commands import settings_from_args, store_args
from moderator.core.policy import Policy, load_policy

_SEED_BY = "moderator policy"


def register(sub: Any) -> None:
    policy = sub.add_parser("policy", help="policy versions: show, list, diff, apply, rollback")
    cmds = policy.add_subparsers(dest="policy_command", required=True)
    p = cmds.add_parser("show", help="a stored version as a policy file (the current one)")
    p.add_argument("version", nargs="?")
    _common(p, show)
    p = cmds.add_parser("list", help="every stored version and every change, with who and why")
    _common(p, list_versions)
    p = cmds.add_parser("diff", help="rule by rule: A (a version or a file) against B")
    p.add_argument("a", help="a stored version or a policy file")
    p.add_argument("b", nargs="?", help="a stored version or a policy file (the current one)")
    _common(p, diff)
    p = cmds.add_parser("apply", help="store a policy file as a new version and make it current")
    p.add_argument("file", type=Path)
    _audited(p)
    _common(p, apply)
    p = cmds.add_parser("rollback", help="make an earlier version current again")
    p.add_argument("--to", help="the version (default: the one before the current)")
    _audited(p)
    _common(p, rollback)


def _common(p: argparse.ArgumentParser, handler: Any) -> None:
    store_args(p)
    p.set_defaults(handler=handler)


def _audited(p: argparse.ArgumentParser) -> None:
    p.add_argument("--why", required=True, help="the reason, kept in the policy log")
    p.add_argument("--by", default="", help="who (default: the login name)")


def who(args: argparse.Namespace) -> str:
    return str(args.by or getpass.getuser())


@contextmanager
def stored_policies(args: argparse.Namespace) -> Iterator[Any]:
    """The store's RedisPolicies, seeded from the policy file when nothing is stored yet."""
    from moderator.adapters.redis.client import connect
    from moderator.adapters.redis.policies import RedisPolicies

    settings = settings_from_args(args)
    url, embedded = bootstrap.open_store(settings, hold_lock=True)
    client = connect(url)
    try:
        policies = RedisPolicies(client)
        path = settings.path(settings.policy.path)
        policies.seed(load_policy(path), f"file:{path}")
        yield policies
    finally:
        client.close()
        if embedded is not None:
            embedded.stop()


def _resolve(policies: Any, name: str | None) -> Policy:
    if name is None:
        return policies.current().policy  # type: ignore[no-any-return]
    if Path(name).is_file():
        return load_policy(Path(name))
    return policies.get(name).policy  # type: ignore[no-any-return]


def show(args: argparse.Namespace) -> int:
    with stored_policies(args) as policies:
        version = policies.get(args.version) if args.version else policies.current()
        print(f"# version {version.version}: stored by {version.by} at {_when(version.at)}")
        print(f"# why: {version.why}")
        print(version.text, end="")
    return 0


def list_versions(args: argparse.Namespace) -> int:
    with stored_policies(args) as policies:
        current = policies.current_version()
        for v in policies.versions():
            mark = "*" if v.version == current else " "
            print(f"{mark} {v.seq:>3}  {v.version}  {_when(v.at)}  {v.by}: {v.why}")
        print()
        for entry in policies.log():
            print(
                f"{_when(entry['at'])}  {entry['action']:<8} {entry.get('previous') or '-'} → "
                f"{entry['version']}  by {entry['by']}: {entry['why']}"
            )
    return 0


def diff(args: argparse.Namespace) -> int:
    from moderator.core.policy_text import diff_policies

    with stored_policies(args) as policies:
        a, b = _resolve(policies, args.a), _resolve(policies, args.b)
    lines = diff_policies(a, b)
    print("\n".join(lines) if lines else f"{a.version} and {b.version} have the same rules.")
    return 0


def apply(args: argparse.Namespace) -> int:
    policy = load_policy(args.file)
    with stored_policies(args) as policies:
        before = policies.current_version()
        now = policies.apply(policy, who(args), args.why)
    print(f"Policy version {now} is current (was {before}); workers pick it up within reload_s.")
    return 0


def rollback(args: argparse.Namespace) -> int:
    with stored_policies(args) as policies:
        before = policies.current_version()
        now = policies.rollback(args.to, who(args), args.why)
    print(f"Policy version {now} is current again (was {before}).")
    return 0


def _when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
