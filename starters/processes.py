"""Child processes of the dev stack: started in their own session, logged to files, stopped gracefully.

Children get their own process group so a Ctrl-C in the terminal reaches only `hireflow dev`, which
then stops them in order (SIGTERM, then SIGKILL after a grace period).
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from types import TracebackType

from integrations.logs import get_logger

log = get_logger(__name__)


class ProcessFailedError(RuntimeError):
    """A child process exited or never became ready."""


class ManagedProcess:
    """An async context manager around one long-running child process."""

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
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.log_path = log_path
        self._ready = ready
        self._env = env
        self._cwd = cwd
        self._startup_timeout = startup_timeout
        self._stop_timeout = stop_timeout
        self._proc: asyncio.subprocess.Process | None = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    async def __aenter__(self) -> ManagedProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log_file = self.log_path.open("ab")
        try:
            self._proc = await asyncio.create_subprocess_exec(
                *self.argv,
                stdout=log_file,
                stderr=asyncio.subprocess.STDOUT,
                stdin=asyncio.subprocess.DEVNULL,
                env={**os.environ, **(self._env or {})},
                cwd=self._cwd,
                start_new_session=True,
            )
        finally:
            log_file.close()
        log.info("process_started", component=self.name, pid=self._proc.pid, log=str(self.log_path))
        try:
            await self._wait_ready()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

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
        if proc is None or proc.returncode is not None:
            return
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                await asyncio.wait_for(proc.wait(), timeout=self._stop_timeout)
                break
            except TimeoutError:
                log.warning("process_stop_timeout", component=self.name, signal=sig.name)
        log.info("process_stopped", component=self.name, status=proc.returncode)
