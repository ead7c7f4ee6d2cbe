"""Shared helpers for tests that start real server processes on loopback."""

from __future__ import annotations

import socket
import subprocess
import time

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_up(url: str, process: subprocess.Popen, seconds: float = 30) -> None:
    """Poll ``url`` until it answers 200; fail the test with the server's stderr otherwise."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    stderr = process.stderr.read().decode()[-2000:] if process.stderr else ""
    pytest.fail(f"server at {url} did not start: {stderr}")
