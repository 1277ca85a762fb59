"""docker-compose.yml stays in step with the code: services, search attributes and settings names.

No Docker engine runs here, so these checks read the files the way compose would.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from models.settings import Settings
from models.temporal_keys import ALL_SEARCH_ATTRIBUTES, cli_search_attribute_flags

ROOT = Path(__file__).resolve().parents[1]


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_the_production_services_and_no_auto_setup() -> None:
    services = _compose()["services"]
    assert {
        "postgresql",
        "temporal-admin-tools",
        "temporal",
        "temporal-create-namespace",
        "temporal-ui",
        "hireflow-worker",
        "hireflow-web",
    } <= set(services)
    images = [service.get("image", "") for service in services.values()]
    assert not any("auto-setup" in image for image in images)
    assert (
        services["temporal"]["depends_on"]["temporal-admin-tools"]["condition"]
        == "service_completed_successfully"
    )
    for name in ("hireflow-worker", "hireflow-web"):
        assert services[name]["depends_on"]["temporal-create-namespace"]["condition"] == (
            "service_completed_successfully"
        )
    assert services["hireflow-worker"]["command"][:2] == ["hireflow", "worker"]
    assert services["hireflow-web"]["command"][:2] == ["hireflow", "web"]


def test_compose_registers_exactly_our_search_attributes() -> None:
    script = (ROOT / "deploy/temporal/create-namespace.sh").read_text()
    registered = dict(re.findall(r"^add_attribute (\w+) (\w+)$", script, flags=re.MULTILINE))
    flags = cli_search_attribute_flags()
    expected = dict(pair.split("=") for pair in flags[1::2])
    assert registered == expected
    assert len(registered) == len(ALL_SEARCH_ATTRIBUTES)


def test_compose_environment_names_real_settings() -> None:
    environment = _compose()["x-hireflow-env"]
    fields = {f"HIREFLOW_{name.upper()}" for name in Settings.model_fields}
    unknown = sorted(set(environment) - fields)
    assert unknown == [], f"compose sets variables no setting reads: {unknown}"
    assert "HIREFLOW_GREENHOUSE_CLIENT_SECRET" in environment
