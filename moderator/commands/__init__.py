"""The `moderator` subcommands, one module per area. Each module has `register(sub)`, which adds
its subcommands to the parser with `handler` defaults; cli.py wires them together."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from moderator.settings import Settings, load_settings


def store_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", type=Path, help="embedded Redis data directory (default ./var)")


def server_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)


def model_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", help="auto | offline | detoxify:<type> | detoxify:/path/model.ckpt")
    p.add_argument("--hf-config", type=Path, help="local HF config/tokenizer dir for a checkpoint")


def settings_from_args(
    args: argparse.Namespace, *, quickstart: bool = False, require_secrets: bool = False
) -> Settings:
    overrides: dict[str, Any] = {}
    if getattr(args, "data_dir", None):
        overrides["data_dir"] = args.data_dir
    model: dict[str, Any] = {}
    if getattr(args, "model", None):
        model["spec"] = args.model
    if getattr(args, "hf_config", None):
        model["hf_config"] = str(args.hf_config)
    settings = load_settings(quickstart=quickstart or not require_secrets, **overrides)
    if model:
        merged = settings.model.model_copy(update=model)
        settings = load_settings(
            quickstart=quickstart or not require_secrets, model=merged, **overrides
        )
    return settings
