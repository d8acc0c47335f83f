"""The `moderator` command. Each subcommand builds its Settings once and calls the composition
root; errors a user can fix are printed as one sentence with exit status 2."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any

from moderator import __version__, configdir
from moderator.errors import ModeratorError


class _Parser(argparse.ArgumentParser):
    """Every (sub)command takes --config DIR, before or after its name."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_argument(
            "--config",
            metavar="DIR",
            default=argparse.SUPPRESS,
            help=f"a site's config directory over the packaged defaults (or {configdir.ENV_VAR})",
        )


def build_parser() -> argparse.ArgumentParser:
    from moderator.commands import (
        admin,
        archive,
        backtest,
        calibrate,
        evaluate,
        export,
        health,
        init,
        migrate,
        models,
        policy,
        replay,
        sample,
        score,
        serve,
        sites,
    )

    parser = _Parser(prog="moderator", description=__doc__)
    parser.add_argument("--version", action="version", version=f"moderator {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for module in (
        init,
        serve,
        score,
        evaluate,
        models,
        admin,
        export,
        replay,
        health,
        policy,
        backtest,
        calibrate,
        sites,
        archive,
        sample,
        migrate,
    ):
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request is noise here
    args = build_parser().parse_args(argv)
    if getattr(args, "config", None):  # the same as MODERATOR_CONFIG_DIR, for every command
        os.environ[configdir.ENV_VAR] = str(args.config)
    try:
        return int(args.handler(args))
    except ModeratorError as exc:
        print(f"moderator: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
