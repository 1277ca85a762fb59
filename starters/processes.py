"""Child processes of the dev stack: started in their own session, logged to files, stopped gracefully.

Children get their own process group so a Ctrl-C in the terminal reaches only `hireflow dev`, which
then stops them in order (SIGTERM, then SIGKILL after a grace period). Since that order needs a live
parent, each child is also tied to it (`starters.parent_tie`) and, given a `run_dir`, recorded there
(`starters.run_records`) until it has exited, so the next start can stop what a killed run left behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO

from integrations.logs import get_logger
from starters.parent_tie import Tie, chosen_tie, death_signal_preexec
from starters.process_identity import identify, identify_new
from starters.run_records import RunRecord, remove_record, write_record
from starters.watchdog import start_watchdog

log = get_logger(__name__)


class ProcessFailedError(RuntimeError):
    """A child process exited or never became ready."""


class ManagedProcess:
    """An async context manager around one long-running child process, tied to this one.

    `label` names it for people ("Temporal dev server"); `run_dir`, when given, holds its record.
    """

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        log_path: Path,
        ready: Callable[[], Awaitable[bool]],
        *,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
        startup_timeout: float = 60.0,
        stop_timeout: float = 15.0,
        label: str | None = None,
        run_dir: Path | None = None,
    ) -> None:
        self.name = name
        self.label = label or name
        self.run_dir = run_dir
        self.argv = list(argv)
        self.log_path = log_path
        self._ready = ready
        self._env = env
        self._cwd = cwd
        self._startup_timeout = startup_timeout
        self._stop_timeout = stop_timeout
        self._proc: asyncio.subprocess.Process | None = None
        self._watchdog: asyncio.subprocess.Process | None = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    async def __aenter__(self) -> ManagedProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log_file = self.log_path.open("ab")
        tie = chosen_tie()
        try:
            self._proc = await asyncio.create_subprocess_exec(
                *self.argv,
                stdout=log_file,
                stderr=asyncio.subprocess.STDOUT,
                stdin=asyncio.subprocess.DEVNULL,
                env={**os.environ, **(self._env or {})},
                cwd=self._cwd,
                start_new_session=True,
                preexec_fn=death_signal_preexec() if tie is Tie.DEATH_SIGNAL else None,
            )
            log.info(
                "process_started",
                component=self.name,
                pid=self._proc.pid,
                tie=tie.value,
                log=str(self.log_path),
            )
            try:
                await self._record(tie, log_file)
                await self._wait_ready()
            except BaseException:
                await self.stop()
                raise
        finally:
            log_file.close()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def _record(self, tie: Tie, log_file: IO[bytes]) -> None:
        """Write the child's run record and start its watchdog, if the tie is one."""
        assert self._proc is not None
        child, owner = await asyncio.to_thread(identify_new, self._proc.pid), identify(os.getpid())
        if child is None or owner is None:
            return  # it is gone already; `_wait_ready` says why
        if self.run_dir is not None:
            write_record(self.run_dir, RunRecord(self.name, self.label, child, owner))
        if tie is Tie.WATCHDOG:
            self._watchdog = await start_watchdog(child, log_file)

    async def _wait_ready(self) -> None:
        assert self._proc is not None
        deadline = asyncio.get_running_loop().time() + self._startup_timeout
        while True:
            if self._proc.returncode is not None:
                raise ProcessFailedError(
                    f"{self.name} exited with status {self._proc.returncode} during start-up; "
                    f"see {self.log_path}:\n{self.tail()}"
                )
            if await self._ready():
                return
            if asyncio.get_running_loop().time() > deadline:
                raise ProcessFailedError(
                    f"{self.name} was not ready after {self._startup_timeout:.0f}s; see {self.log_path}:\n{self.tail()}"
                )
            await asyncio.sleep(0.2)

    def exited(self) -> bool:
        """True once the child has terminated on its own."""
        return self._proc is not None and self._proc.returncode is not None

    async def wait(self) -> int:
        assert self._proc is not None
        return await self._proc.wait()

    def tail(self, lines: int = 15) -> str:
        """The last lines of the child's log, for error messages."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    async def stop(self) -> None:
        """SIGTERM the child's process group, then SIGKILL it if it does not exit in time."""
        proc = self._proc
        if proc is None:
            return
        if proc.returncode is None:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                with contextlib.suppress(ProcessLookupError):  # already gone: the wait is short
                    os.killpg(proc.pid, sig)
                try:
                    await asyncio.wait_for(proc.wait(), timeout=self._stop_timeout)
                    break
                except TimeoutError:
                    log.warning("process_stop_timeout", component=self.name, signal=sig.name)
            log.info("process_stopped", component=self.name, status=proc.returncode)
        if proc.returncode is not None:
            await self._untie()

    async def _untie(self) -> None:
        """The child has exited: drop its record and end its watchdog."""
        if self.run_dir is not None:
            remove_record(self.run_dir, self.name)
        watchdog, self._watchdog = self._watchdog, None
        if watchdog is not None and watchdog.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                watchdog.kill()
            await watchdog.wait()
