"""`moderator models …`: Detoxify weights."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    models = sub.add_parser("models", help="Detoxify weights").add_subparsers(
        dest="models_command", required=True
    )
    p = models.add_parser("pull", help="download and cache Detoxify weights")
    p.add_argument("type", nargs="?", default="original")
    p.set_defaults(handler=models_pull)


def models_pull(args: argparse.Namespace) -> int:
    from moderator.adapters.models import pull

    path = pull(args.type)
    print(f"Detoxify {args.type} is cached at {path}")
    return 0
