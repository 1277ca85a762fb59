"""Run Radicale as a loopback subprocess for the embedded stack and tests.

A separate process keeps Radicale's GPL code out of the engine's address space. Without a
password the server runs with `auth type = none` (loopback only: any local client may read and
write every calendar, which is what the single-tenant dev stack wants). With a user and password
it uses an htpasswd file and a rights file that lets that one service account write everything.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import IO

import httpx
import structlog

log = structlog.get_logger(__name__)


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class RadicaleError(RuntimeError):
    """Radicale did not start or stopped unexpectedly."""


class RadicaleServer:
    """`async with RadicaleServer(dir) as srv:` starts Radicale and exposes `srv.url`.

    `port=0` picks a free port. Storage lives in `<storage_dir>/collections`; the generated config
    and the server log sit next to it. `fsync=False` (the default) skips Radicale's per-item
    fsync: right for a dev/test store, where the seed writes thousands of items at start-up.
    """

    def __init__(
        self,
        storage_dir: Path | str,
        host: str = "127.0.0.1",
        port: int = 5232,
        *,
        user: str | None = None,
        password: str | None = None,
        startup_timeout: float = 20.0,
        fsync: bool = False,
    ) -> None:
        if (user is None) != (password is None):
            raise ValueError("give both user and password for htpasswd auth, or neither")
        self.storage_dir = Path(storage_dir)
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.startup_timeout = startup_timeout
        self.fsync = fsync
        self._proc: asyncio.subprocess.Process | None = None
        self._log_file: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _write_config(self) -> Path:
        self.storage_dir.mkdir(parents=True, exist_ok=True)
        folder = (self.storage_dir / "collections").resolve()
        lines = [
            "[server]",
            f"hosts = {self.host}:{self.port}",
            "[storage]",
            f"filesystem_folder = {folder}",
            "[logging]",
            "level = warning",
            "mask_passwords = True",
            "[auth]",
            "delay = 0",
        ]
        if self.user is None:
            lines += ["type = none", "[rights]", "type = owner_only"]
        else:
            htpasswd = (self.storage_dir / "htpasswd").resolve()
            htpasswd.write_text(f"{self.user}:{self.password}\n")
            os.chmod(htpasswd, 0o600)
            rights = (self.storage_dir / "rights").resolve()
            rights.write_text(
                f"[service]\nuser: {self.user}\ncollection: .*\npermissions: RrWw\n"
                "[root]\nuser: .+\ncollection:\npermissions: R\n"
            )
            lines += [
                "type = htpasswd",
                f"htpasswd_filename = {htpasswd}",
                "htpasswd_encryption = plain",
                "[rights]",
                "type = from_file",
                f"file = {rights}",
            ]
        config = self.storage_dir / "radicale.conf"
        config.write_text("\n".join(lines) + "\n")
        return config

    async def start(self) -> RadicaleServer:
        if self._proc is not None:
            raise RadicaleError("Radicale is already running")
        if self.port == 0:
            self.port = free_port(self.host)
        else:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                # As Radicale itself binds: lingering TIME_WAIT connections do not make the port taken.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    sock.bind((self.host, self.port))
                except OSError as exc:
                    raise RadicaleError(
                        f"cannot start Radicale: {self.host}:{self.port} is in use ({exc})"
                    ) from exc
        config = self._write_config()
        log_path = self.storage_dir / "radicale.log"
        self._log_file = log_file = log_path.open("ab")
        self._proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "sandbox.radicale.main",
            str(config),
            *([] if self.fsync else ["--no-fsync"]),
            stdout=log_file,
            stderr=log_file,
            stdin=asyncio.subprocess.DEVNULL,
        )
        deadline = time.monotonic() + self.startup_timeout
        async with httpx.AsyncClient(timeout=1.0) as client:
            while True:
                if self._proc.returncode is not None:
                    code = self._proc.returncode
                    tail = log_path.read_text(errors="replace")[-2000:]
                    await self.stop()
                    raise RadicaleError(f"Radicale exited during start-up (code {code}): {tail}")
                try:
                    resp = await client.request("OPTIONS", f"{self.url}/")
                    if resp.status_code < 500:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    await self.stop()
                    raise RadicaleError(f"Radicale not ready on {self.url} after {self.startup_timeout:.0f}s")
                await asyncio.sleep(0.05)
        log.info("radicale.started", url=self.url, storage=str(self.storage_dir))
        return self

    async def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            if proc.returncode is None:
                proc.terminate()
                try:
                    await asyncio.wait_for(proc.wait(), timeout=5)
                except TimeoutError:
                    proc.kill()
                    await proc.wait()
        if self._log_file is not None:
            with contextlib.suppress(Exception):
                self._log_file.close()
            self._log_file = None

    async def __aenter__(self) -> RadicaleServer:
        return await self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()
