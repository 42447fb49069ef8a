"""The container image, the compose file and the Kubernetes manifests are linted and agree with the code.

They cannot be run here (no container engine), so each is checked by the linter that exists for it,
run as a separate program: hadolint (Dockerfile), yamllint (every YAML file), kubernetes-validate
(the manifests against the Kubernetes API schemas it ships). The settings they set are real
settings, and the probes point at routes the gateway serves.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from omnirelay.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
BIN = Path(sys.executable).parent
YAMLLINT_RULES = "{extends: default, rules: {line-length: {max: 130}, document-start: disable, truthy: disable}}"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)


def test_dockerfile_passes_hadolint() -> None:
    result = _run(str(BIN / "hadolint"), str(ROOT / "Dockerfile"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_runs_as_a_non_root_user_and_checks_readiness() -> None:
    lines = (ROOT / "Dockerfile").read_text().splitlines()
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and not users[-1].startswith(("0", "root"))
    assert any("/readyz" in line for line in lines if "HEALTHCHECK" in line or "CMD" in line)


def test_yaml_files_pass_yamllint() -> None:
    files = sorted(str(p) for p in DEPLOY.rglob("*.yaml"))
    assert files
    result = _run(str(BIN / "yamllint"), "-s", "-d", YAMLLINT_RULES, *files)
    assert result.returncode == 0, result.stdout + result.stderr


def test_kubernetes_manifests_validate_against_the_api_schemas() -> None:
    files = sorted(str(p) for p in (DEPLOY / "k8s").glob("*.yaml"))
    result = _run(str(BIN / "kubernetes-validate"), "--strict", *files)
    assert result.returncode == 0, result.stdout + result.stderr


def _is_setting(variable: str) -> bool:
    """``OMNIRELAY_SERVER__PORT`` names ``Settings.server.port``."""
    model: Any = Settings
    for part in variable.removeprefix("OMNIRELAY_").lower().split("__"):
        fields = getattr(model, "model_fields", {})
        if part not in fields:
            return False
        model = fields[part].annotation
    return True


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return loaded


def test_compose_runs_two_replicas_on_shared_postgres_and_redis(monkeypatch: pytest.MonkeyPatch) -> None:
    services = _compose()["services"]
    gateways = [name for name, svc in services.items() if svc.get("image") == "omnirelay:latest"]
    assert len(gateways) == 2
    env = services[gateways[0]]["environment"]
    assert env["OMNIRELAY_DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert env["OMNIRELAY_REDIS_URL"].startswith("redis://")
    for name, value in env.items():  # every variable is a setting the gateway accepts
        assert _is_setting(name), name
        monkeypatch.setenv(name, "x" * 44 if "${" in str(value) else str(value))
    settings = Settings()
    assert settings.redis_url == "redis://redis:6379/0"
    nginx = (DEPLOY / "nginx.conf").read_text()
    assert all(f"{name}:3000" in nginx for name in gateways)


def test_kubernetes_probes_use_the_gateway_health_routes() -> None:
    deployment = yaml.safe_load((DEPLOY / "k8s" / "deployment.yaml").read_text())
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    names = [e["name"] for e in container["env"]] + ["OMNIRELAY_HOME", "OMNIRELAY_LOG__FORMAT"]
    assert all(_is_setting(name) for name in names if name != "OMNIRELAY_HOME"), names
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert deployment["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True
