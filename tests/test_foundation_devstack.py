"""`hireflow dev` as a user runs it: comes up, answers, survives a restart, stops on Ctrl-C, names a taken port."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.client import Client

from starters.ports import free_port

pytestmark = pytest.mark.integration


def _ports() -> dict[str, int]:
    return {
        "--temporal-port": free_port(),
        "--temporal-ui-port": free_port(),
        "--greenhouse-port": free_port(),
        "--caldav-port": free_port(),
        "--smtp-port": free_port(),
        "--web-port": free_port(),
        "--assessments-port": free_port(),
    }


def _argv(state_dir: Path, ports: dict[str, int]) -> list[str]:
    argv = [sys.executable, "-m", "starters.cli", "dev", "--state-dir", str(state_dir), "--candidates", "30"]
    for flag, port in ports.items():
        argv += [flag, str(port)]
    return argv


def _start(state_dir: Path, ports: dict[str, int]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        _argv(state_dir, ports),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=os.environ.copy(),
    )


def _wait_for_banner(proc: subprocess.Popen[str], timeout: float = 180) -> str:
    """Read the child's output until the ready banner's last line; kill it (and fail) after `timeout`."""
    assert proc.stdout is not None
    seen: list[str] = []
    watchdog = threading.Timer(timeout, proc.kill)
    watchdog.start()
    try:
        for line in proc.stdout:
            seen.append(line)
            if "State directory:" in line:
                return "".join(seen)
    finally:
        watchdog.cancel()
    proc.kill()
    raise AssertionError("hireflow dev did not come up:\n" + "".join(seen))


def _stop(proc: subprocess.Popen[str]) -> tuple[int, str]:
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    return proc.returncode, out


@pytest.fixture
def dev_ports() -> Iterator[dict[str, int]]:
    yield _ports()


async def test_dev_stack_comes_up_persists_and_stops_cleanly(
    tmp_path: Path, dev_ports: dict[str, int]
) -> None:
    state_dir = tmp_path / "state"
    proc = _start(state_dir, dev_ports)
    try:
        banner = await asyncio.to_thread(_wait_for_banner, proc)
        temporal = f"127.0.0.1:{dev_ports['--temporal-port']}"
        ui = f"http://127.0.0.1:{dev_ports['--temporal-ui-port']}"
        greenhouse = f"http://127.0.0.1:{dev_ports['--greenhouse-port']}"
        assert temporal in banner and ui in banner and greenhouse in banner
        assert "hireflow-sandbox" in banner and "sandbox-secret" in banner

        async with httpx.AsyncClient(timeout=10) as http:
            assert (await http.get(ui)).status_code == 200
            health = await http.get(f"http://127.0.0.1:{dev_ports['--web-port']}/healthz")
            assert health.status_code == 200 and health.json()["temporal"] == "ok"
            token = await http.post(
                f"{greenhouse}/token",
                data={"grant_type": "client_credentials"},
                auth=("hireflow-sandbox", "sandbox-secret"),
            )
            assert token.status_code == 200
            jobs = await http.get(
                f"{greenhouse}/v3/jobs", headers={"Authorization": f"Bearer {token.json()['access_token']}"}
            )
            assert jobs.status_code == 200 and jobs.json()

        client = await Client.connect(temporal)
        names = set(
            (
                await client.operator_service.list_search_attributes(
                    ListSearchAttributesRequest(namespace="default")
                )
            ).custom_attributes
        )
        assert {"ApplicationId", "SchedulingStatus", "InterviewStart", "RecruiterId"} <= names

        # A workflow started now must still be there after a restart (persistence in the state dir).
        workflow_id = f"persist-{uuid.uuid4()}"
        await client.start_workflow("NoSuchWorkflowType", id=workflow_id, task_queue="nobody-polls-this")
    finally:
        status, out = _stop(proc)
    assert status == 0, out
    assert "Stopped cleanly." in out
    assert (state_dir / "temporal.db").exists()

    proc = _start(state_dir, dev_ports)
    try:
        await asyncio.to_thread(_wait_for_banner, proc)
        client = await Client.connect(f"127.0.0.1:{dev_ports['--temporal-port']}")
        description = await client.get_workflow_handle(workflow_id).describe()
        assert description.id == workflow_id
    finally:
        status, out = _stop(proc)
    assert status == 0, out


def test_dev_stack_names_the_port_that_is_taken(tmp_path: Path, dev_ports: dict[str, int]) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as blocker:
        blocker.bind(("127.0.0.1", dev_ports["--greenhouse-port"]))
        blocker.listen()
        result = subprocess.run(_argv(tmp_path, dev_ports), capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert f"{dev_ports['--greenhouse-port']} (Greenhouse sandbox)" in result.stderr
