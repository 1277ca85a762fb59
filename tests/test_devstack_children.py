"""Children of `hireflow dev` and `hireflow demo` die with them, however they stop.

The first tests use a `sleep` child and take a second or two: the tie to the parent (death signal,
watchdog, and `off` as the control that shows the check can fail), run records, and which leftovers a
start stops. The last two run the real stack on free ports: Ctrl-C to the process group and SIGKILL
leave no server behind, and a run killed with its children untied has them named and stopped by the
next start from the same state directory.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from starters.devstack import DevStack, DevStackConfig
from starters.leftovers import stop_leftovers
from starters.ports import free_port
from starters.process_identity import ProcessIdentity, alive, identify, identify_new
from starters.processes import ManagedProcess
from starters.run_records import RunRecord, read_records, run_dir, write_record
from tests.test_foundation_devstack import _argv, _ports, _wait_for_banner

REPO = Path(__file__).resolve().parent.parent

# Holds one `sleep` child through ManagedProcess, prints its pid, then waits to be killed.
_HOLDER = """
import asyncio, sys
from pathlib import Path
from integrations.logs import configure_logging
from starters.processes import ManagedProcess

configure_logging(fmt="json")  # logs to stderr: stdout carries only the pid

async def main():
    async def ready():
        return True
    async with ManagedProcess("sleeper", ["sleep", "300"], Path(sys.argv[1]), ready) as child:
        print(child.pid, flush=True)
        await asyncio.sleep(3600)

asyncio.run(main())
"""


def _wait_gone(identities: list[ProcessIdentity], seconds: float) -> list[ProcessIdentity]:
    """Poll until every process is gone or `seconds` pass; returns the ones still running."""
    deadline = time.monotonic() + seconds
    while True:
        running = [p for p in identities if alive(p)]
        if not running or time.monotonic() > deadline:
            return running
        time.sleep(0.1)


def _kill_all(identities: list[ProcessIdentity]) -> None:
    for identity in identities:
        if alive(identity):
            os.kill(identity.pid, signal.SIGKILL)


@pytest.fixture
def sleeper() -> Iterator[ProcessIdentity]:
    """A `sleep` in its own session, as the stack starts its servers; killed and reaped afterwards."""
    proc = subprocess.Popen(["sleep", "300"], start_new_session=True)
    identity = identify_new(proc.pid)
    assert identity is not None and identity.command == "sleep 300"
    yield identity
    proc.kill()
    proc.wait()


def _dead_owner() -> ProcessIdentity:
    proc = subprocess.Popen(["sleep", "300"])
    identity = identify_new(proc.pid)
    proc.kill()
    proc.wait()
    assert identity is not None and not alive(identity)
    return identity


@pytest.mark.parametrize(("tie", "survives"), [("death-signal", False), ("watchdog", False), ("off", True)])
def test_a_child_dies_with_its_killed_parent_unless_untied(tmp_path: Path, tie: str, survives: bool) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(tmp_path / "sleeper.log")],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env={**os.environ, "HIREFLOW_CHILD_TIE": tie},
    )
    assert holder.stdout is not None
    child = None
    try:
        child = identify_new(int(holder.stdout.readline()))
        assert child is not None and child.command == "sleep 300"
        holder.kill()
        holder.wait()
        running = _wait_gone([child], 3)
        assert bool(running) is survives, f"tie {tie}: child {'gone' if not running else 'still running'}"
    finally:
        holder.kill()
        holder.wait()
        if child is not None:
            _kill_all([child])


async def test_a_running_child_is_recorded_until_it_has_exited(tmp_path: Path) -> None:
    async def ready() -> bool:
        return True

    records = run_dir(tmp_path)
    async with ManagedProcess(
        "sleeper", ["sleep", "300"], tmp_path / "sleeper.log", ready, label="Sleeper", run_dir=records
    ) as process:
        [record] = read_records(records)
        assert (record.name, record.label, record.child.pid) == ("sleeper", "Sleeper", process.pid)
        assert record.child.command == "sleep 300" and alive(record.child)
        assert record.owner.pid == os.getpid() and alive(record.owner)
    assert not alive(record.child)
    assert read_records(records) == []


def test_a_start_names_and_stops_a_leftover_of_a_dead_run(tmp_path: Path, sleeper: ProcessIdentity) -> None:
    write_record(run_dir(tmp_path), RunRecord("temporal", "Temporal dev server", sleeper, _dead_owner()))
    said: list[str] = []
    stopped = stop_leftovers(tmp_path, say=said.append, grace=5)
    assert said == [f"stopping Temporal dev server left over from an earlier run (pid {sleeper.pid})"]
    assert [r.child for r in stopped] == [sleeper]
    assert not alive(sleeper)
    assert read_records(run_dir(tmp_path)) == []


def test_a_start_leaves_the_servers_of_a_live_run_alone(tmp_path: Path, sleeper: ProcessIdentity) -> None:
    owner = identify(os.getpid())
    assert owner is not None
    write_record(run_dir(tmp_path), RunRecord("temporal", "Temporal dev server", sleeper, owner))
    said: list[str] = []
    assert stop_leftovers(tmp_path, say=said.append) == []
    assert said == [] and alive(sleeper)
    assert len(read_records(run_dir(tmp_path))) == 1


def test_a_start_never_stops_a_process_that_only_reuses_a_recorded_pid(
    tmp_path: Path, sleeper: ProcessIdentity
) -> None:
    other_start = ProcessIdentity(sleeper.pid, started="1", command=sleeper.command)
    other_command = ProcessIdentity(sleeper.pid, started=sleeper.started, command="temporal server start-dev")
    for name, recorded in (("temporal", other_start), ("greenhouse-sandbox", other_command)):
        write_record(run_dir(tmp_path), RunRecord(name, name, recorded, _dead_owner()))
    said: list[str] = []
    assert stop_leftovers(tmp_path, say=said.append) == []
    assert said == [] and alive(sleeper)
    assert read_records(run_dir(tmp_path)) == []  # stale records are cleared


def test_demo_stops_leftovers_before_it_checks_the_ports(tmp_path: Path, sleeper: ProcessIdentity) -> None:
    state_dir = tmp_path / "demo"
    write_record(run_dir(state_dir), RunRecord("temporal", "Temporal dev server", sleeper, _dead_owner()))
    port = free_port()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as blocker:
        blocker.bind(("127.0.0.1", port))
        blocker.listen()
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "starters.cli",
                "demo",
                "--state-dir",
                str(state_dir),
                "--web-port",
                str(port),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=REPO,
        )
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"stopping Temporal dev server left over from an earlier run (pid {sleeper.pid})" in result.stderr
    assert f"{port} (web app)" in result.stderr  # a port something else holds is still named
    assert not alive(sleeper)


# ------------------------------------------------------------------------------------ the real stack


def _start(state_dir: Path, ports: dict[str, int], **env: str) -> subprocess.Popen[str]:
    """`hireflow dev` in its own process group, as a shell runs a foreground job."""
    return subprocess.Popen(
        _argv(state_dir, ports),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **env},
        cwd=REPO,
        start_new_session=True,
    )


def _children(pid: int) -> dict[str, ProcessIdentity]:
    """The servers `pid` runs, by what they are (read from /proc, not from the stack's own records)."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rpartition(")")[2].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        child = identify(int(stat.parent.name)) if ppid == pid else None
        if child is None:
            continue
        for kind, marker in (
            ("temporal", "server start-dev"),
            ("sandbox", "sandbox greenhouse"),
            ("radicale", "sandbox.radicale.main"),
        ):
            if marker in child.command:
                found[kind] = child
    assert set(found) == {"temporal", "sandbox", "radicale"}, found
    return found


def _finish(proc: subprocess.Popen[str]) -> str:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    out, _ = proc.communicate(timeout=30)
    return out


@pytest.mark.integration
@pytest.mark.slow
def test_ctrl_c_to_the_group_and_sigkill_leave_no_server_running(tmp_path: Path) -> None:
    state_dir, ports = tmp_path / "state", _ports()
    proc = _start(state_dir, ports)
    children: dict[str, ProcessIdentity] = {}
    try:
        _wait_for_banner(proc)
        children = _children(proc.pid)
        started = time.monotonic()
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0 and "Stopped cleanly." in out, out
        running = _wait_gone(list(children.values()), 10)
        assert not running, f"still running after Ctrl-C: {running}"
        print(f"Ctrl-C: stopped in {time.monotonic() - started:.1f} s")
        assert read_records(run_dir(state_dir)) == []
    finally:
        _finish(proc)
        _kill_all(list(children.values()))

    proc = _start(state_dir, ports)  # the same ports are free again
    children = {}
    try:
        _wait_for_banner(proc)
        children = _children(proc.pid)
        assert {r.name for r in read_records(run_dir(state_dir))} == {"temporal", "greenhouse-sandbox"}
        started = time.monotonic()
        proc.kill()  # no teardown at all: the death signal must do it
        proc.wait()
        running = _wait_gone(list(children.values()), 10)
        assert not running, f"still running after SIGKILL: {running}"
        print(f"SIGKILL: children gone in {time.monotonic() - started:.1f} s")
    finally:
        _finish(proc)
        _kill_all(list(children.values()))


@pytest.mark.integration
@pytest.mark.slow
def test_the_next_start_names_and_stops_servers_a_killed_run_left_behind(tmp_path: Path) -> None:
    state_dir, ports = tmp_path / "state", _ports()
    proc = _start(state_dir, ports, HIREFLOW_CHILD_TIE="off")  # test hook: children not tied
    leftovers: list[ProcessIdentity] = []
    try:
        _wait_for_banner(proc)
        children = _children(proc.pid)
        leftovers = [children["temporal"], children["sandbox"]]
        proc.kill()
        proc.wait()
        time.sleep(2)
        assert all(alive(p) for p in leftovers), "untied servers should outlive a SIGKILLed parent"
        # Radicale watches for its parent itself (sandbox/radicale/main.py).
        assert not _wait_gone([children["radicale"]], 5)

        proc = _start(state_dir, ports)
        banner = _wait_for_banner(proc)
        assert (
            f"stopping Temporal dev server left over from an earlier run (pid {children['temporal'].pid})"
            in banner
        )
        assert (
            f"stopping Greenhouse sandbox left over from an earlier run (pid {children['sandbox'].pid})"
            in banner
        )
        assert not any(alive(p) for p in leftovers)
        os.killpg(proc.pid, signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0 and "Stopped cleanly." in out, out
    finally:
        _finish(proc)
        _kill_all(leftovers)


async def test_a_signal_between_the_banner_and_the_wait_still_stops_cleanly(tmp_path: Path) -> None:
    """`hireflow dev` arms its handlers before printing the banner; a Ctrl-C that lands before it starts
    waiting must be a clean stop, not asyncio's KeyboardInterrupt (exit 130, no "Stopped cleanly.")."""
    stack = DevStack(DevStackConfig(state_dir=tmp_path))
    stack.watch_signals()
    os.kill(os.getpid(), signal.SIGINT)  # arrives before wait_until_stopped runs
    await asyncio.sleep(0.05)
    assert await asyncio.wait_for(stack.wait_until_stopped(), 5) == "received SIGINT"
    stack.watch_signals()  # and the next stack run can arm them again
    os.kill(os.getpid(), signal.SIGTERM)
    assert await asyncio.wait_for(stack.wait_until_stopped(), 5) == "received SIGTERM"
