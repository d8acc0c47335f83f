"""The deployment files agree with the code and with each other (issue 9.12; no Docker engine
here, so this and `hadolint` in `make lint` are what checks them): exact base-image tags, one torch
pin everywhere, a Redis password in compose, and per-role health checks that are real commands."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from moderator.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_base_images_are_pinned_to_exact_versions() -> None:
    images = re.findall(r"^FROM\s+(\S+)", DOCKERFILE, flags=re.MULTILINE)
    assert images and all(re.fullmatch(r"python:\d+\.\d+\.\d+-slim-\w+", i) for i in images)
    assert re.fullmatch(r"redis:\d+\.\d+\.\d+-alpine", COMPOSE["services"]["redis"]["image"])


def test_one_torch_pin_everywhere() -> None:
    makefile = re.search(r"^TORCH\s*:=\s*(\S+)", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert makefile is not None
    pin = makefile.group(1)
    assert f"pip install --no-cache-dir {pin} " in DOCKERFILE
    lock = (ROOT / "constraints.txt").read_text().splitlines()
    assert [line for line in lock if line.lower().startswith("torch=")] == [pin]


def test_the_image_installs_the_wheel_with_the_lock_and_needs_no_config_dir() -> None:
    assert "-c /tmp/constraints.txt /tmp/dist/moderator-" in DOCKERFILE
    assert "MODERATOR_CONFIG_DIR" not in re.sub(r"^#.*$", "", DOCKERFILE, flags=re.MULTILINE)
    assert "COPY config" not in DOCKERFILE


def test_compose_redis_requires_a_password_and_clients_send_it() -> None:
    services = COMPOSE["services"]
    assert "requirepass" in " ".join(services["redis"]["command"])
    for name in ("api", "worker"):
        url = services[name]["environment"]["MODERATOR_REDIS_URL"]
        assert url.startswith("redis://:${MODERATOR_REDIS_PASSWORD:?"), url


def _moderator_args(command: list[str]) -> list[str]:
    assert command[:2] == ["CMD", "moderator"], command
    return command[2:]


@pytest.mark.parametrize(("service", "role"), [("api", "api"), ("worker", "worker")])
def test_each_role_has_its_own_health_check(service: str, role: str) -> None:
    args = build_parser().parse_args(
        _moderator_args(COMPOSE["services"][service]["healthcheck"]["test"])
    )
    assert (args.command, args.role) == ("healthcheck", role)


def test_the_image_health_check_detects_the_role() -> None:
    commands = [yaml.safe_load(c) for c in re.findall(r"CMD (\[.*\])\s*$", DOCKERFILE, re.M)]
    health, default = commands[-2:]  # HEALTHCHECK ... CMD [...], then the image's CMD [...]
    assert health[0] == default[0] == "moderator"
    args = build_parser().parse_args(health[1:])
    assert (args.command, args.role) == ("healthcheck", "auto")
    assert build_parser().parse_args(default[1:]).command == "serve"
