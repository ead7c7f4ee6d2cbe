"""`custseg app` as a supervisor runs it: stopped with SIGTERM or SIGINT, nothing keeps serving."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ..helpers import free_port, wait_until_up

pytestmark = pytest.mark.e2e
pytest.importorskip("streamlit")


def _session_members(session: int) -> list[int]:
    """Processes of the session ``session`` (a child started with its own session keeps it,
    so every process the app started is found, whatever its parent now)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # After the command name: state, ppid, pgrp, session, ...; zombies hold no port.
        if int(fields[3]) == session and fields[0] != "Z":
            members.append(int(entry.name))
    return members


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_stopping_custseg_app_stops_the_server(stop):
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "custseg", "app", "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               start_new_session=True)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/_stcore/health", process, seconds=60)
        assert _session_members(process.pid), "the app's session should be running"
        started = time.monotonic()
        process.send_signal(stop)
        process.wait(timeout=10)
        deadline = started + 10
        while time.monotonic() < deadline and not (_port_free(port)
                                                    and not _session_members(process.pid)):
            time.sleep(0.1)
        assert _port_free(port), f"something still answers on port {port} after 10 s"
        assert not _session_members(process.pid), "a process of `custseg app` outlived it"
    finally:
        if process.poll() is None:
            process.kill()
        for pid in _session_members(process.pid):
            os.kill(pid, signal.SIGKILL)
