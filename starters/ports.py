"""Loopback port checks, so the dev stack says which port is taken instead of failing obscurely."""

from __future__ import annotations

import socket


class PortInUseError(RuntimeError):
    """A port the dev stack needs is already bound by another process."""


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """True when nothing is bound to host:port (we bind and release it at once)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Like the servers themselves: connections lingering in TIME_WAIT do not make a port "taken".
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def ensure_ports_free(ports: dict[str, int], host: str = "127.0.0.1") -> None:
    """Raise `PortInUseError` naming every taken port and what it was meant for."""
    taken = [f"{port} ({purpose})" for purpose, port in ports.items() if not port_is_free(port, host)]
    if taken:
        raise PortInUseError(
            f"port{'s' if len(taken) > 1 else ''} already in use on {host}: {', '.join(taken)}. "
            "Stop whatever holds it (another `hireflow dev`?) or choose other ports with the --*-port options."
        )


def free_port(host: str = "127.0.0.1") -> int:
    """A port the OS considers free right now (for tests and ephemeral services)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])
