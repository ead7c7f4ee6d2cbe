"""Load benchmark of `custseg serve`, loopback only, bounded in requests and time.

Starts the service as its own process on a free port with a model trained on a synthetic
customer table (6 numeric features), then from this process, with 16 concurrent clients:
1. single-customer requests paced at 200 requests/s (open loop: each request has a start slot),
2. batches of 1,000 customers as fast as the service answers.
Reports throughput, p50/p99 latency and errors. Server and clients share the machine's cores.
"""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

HERE = Path(__file__).resolve().parent
CLIENTS = 16


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _drive(client: httpx.AsyncClient, bodies: list[bytes],
                 rate: float | None = None) -> dict[str, Any]:
    """Send ``bodies`` from CLIENTS concurrent workers: paced at ``rate`` requests/s (open loop,
    each request has a start slot), or as fast as the service answers when ``rate`` is None."""
    latencies: list[float] = []
    errors = 0
    queue: asyncio.Queue[tuple[float | None, bytes]] = asyncio.Queue()
    start = time.perf_counter() + 0.2
    for i, body in enumerate(bodies):
        queue.put_nowait((start + i / rate if rate else None, body))

    async def worker() -> None:
        nonlocal errors
        while not queue.empty():
            slot, body = queue.get_nowait()
            delay = slot - time.perf_counter() if slot is not None else 0
            if delay > 0:
                await asyncio.sleep(delay)
            sent = time.perf_counter()
            response = await client.post("/v1/score", content=body)
            latencies.append(time.perf_counter() - sent)
            if response.status_code != 200:
                errors += 1

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CLIENTS)))
    return _figures(latencies, errors, time.perf_counter() - began)


def _figures(latencies: list[float], errors: int, seconds: float) -> dict[str, Any]:
    ms = np.array(latencies) * 1000
    return {"requests": len(latencies), "seconds": round(seconds, 2),
            "requests_per_s": round(len(latencies) / seconds, 1),
            "p50_ms": round(float(np.percentile(ms, 50)), 2),
            "p99_ms": round(float(np.percentile(ms, 99)), 2), "errors": errors}


def run() -> dict[str, Any]:
    sys.path.insert(0, str(HERE.parent / "src"))
    import custseg
    from custseg.datasets.synthetic import synthetic_customers

    frame, _ = synthetic_customers(20_000, seed=1)
    work = Path(tempfile.mkdtemp(prefix="custseg-load-"))
    custseg.segment(frame, k=5).save(work)
    records = frame.to_dict("records")
    singles = [json.dumps({"customers": [records[i % len(records)]]}).encode()
               for i in range(3000)]
    batches = [json.dumps({"customers": records[i * 1000 % 19_000:i * 1000 % 19_000 + 1000]})
               .encode() for i in range(200)]
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "custseg", "serve", "--model",
                               str(work / "model.json"), "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(150):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)

        async def scenarios() -> dict[str, Any]:
            limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
            async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
                await _drive(client, singles[:200])  # warm-up
                single = await _drive(client, singles, rate=200)
                batch = await _drive(client, batches)
            batch["customers_per_s"] = round(batch["requests_per_s"] * 1000)
            return {"single_at_200": single, "batch_1000": batch}

        return asyncio.run(scenarios())
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    print(json.dumps(run(), indent=1))
