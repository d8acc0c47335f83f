"""The scale-out deployment files agree with the code (no Docker engine or Kubernetes cluster
here: `make lint` validates the manifests against the Kubernetes schemas, this checks what the
schemas cannot): compose's Sentinel variant names a URL moderator parses, and the manifests'
probes and commands are routes and commands that exist."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from moderator.adapters.redis.client import parse_redis_url
from moderator.cli import build_parser
from moderator.web.health import router

ROOT = Path(__file__).resolve().parents[1]
SENTINEL: dict[str, Any] = yaml.safe_load((ROOT / "compose.sentinel.yaml").read_text())


def _manifests(name: str) -> list[dict[str, Any]]:
    return list(yaml.safe_load_all((ROOT / "deploy" / "kubernetes" / name).read_text()))


def test_compose_sentinel_variant_points_api_and_worker_at_three_sentinels() -> None:
    services = SENTINEL["services"]
    sentinels = [n for n in services if n.startswith("sentinel-")]
    assert len(sentinels) == 3
    for name in ("api", "worker"):
        url = services[name]["environment"]["MODERATOR_REDIS_URL"]
        target = parse_redis_url(
            url.replace("${MODERATOR_REDIS_PASSWORD:?set MODERATOR_REDIS_PASSWORD}", "pw")
        )
        assert target.topology == "sentinel" and target.service == "mymaster"
        assert sorted(h for h, _ in target.nodes) == sorted(sentinels)
        assert target.password == "pw"
    assert services["api"]["environment"]["MODERATOR_WEBHOOK__WAIT_REPLICAS"] == "1"
    replicas = [n for n in services if n.startswith("redis-replica-")]
    assert len(replicas) == 2 and all(
        "--replicaof redis 6379" in services[r]["command"][2] for r in replicas
    )


def test_kubernetes_probes_use_routes_and_commands_that_exist() -> None:
    paths = {route.path for route in router.routes}  # type: ignore[attr-defined]
    api = next(m for m in _manifests("api.yaml") if m["kind"] == "Deployment")
    container = api["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz" in paths
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz" in paths
    assert build_parser().parse_args(container["command"][1:]).command == "serve"
    worker = next(m for m in _manifests("worker.yaml") if m["kind"] == "Deployment")
    container = worker["spec"]["template"]["spec"]["containers"][0]
    probe = build_parser().parse_args(container["livenessProbe"]["exec"]["command"][1:])
    assert (probe.command, probe.role) == ("healthcheck", "worker")


def test_the_worker_autoscaler_reads_the_backlog_metric_the_api_exports() -> None:
    hpa = next(m for m in _manifests("worker.yaml") if m["kind"] == "HorizontalPodAutoscaler")
    metric = hpa["spec"]["metrics"][0]["external"]["metric"]["name"]
    source = (ROOT / "moderator" / "web" / "health.py").read_text()
    assert metric == "moderator_ingest_backlog" and '("ingest_backlog", backlog)' in source
