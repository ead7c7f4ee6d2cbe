"""The same purchase histories through the local engine and the Spark engine (local mode).

Two generated histories (``custseg.datasets.synthetic_history.purchase_history``, seed 0):
100,000 customers (about 1.1M lines) and 1,000,000 customers (about 11M lines), as Parquet in
``bench/work``. Each goes through ``custseg segment --transactions --k auto --timings`` with
``--engine local`` and with ``--engine spark --spark-master local[2]`` (the machine's two
cores; local[1] is left out: it only showed that Spark gains 1.4x from a second core and cost
four minutes a run).

Per run: wall time from the clock, peak memory as the largest sum of resident memory over the
whole process tree (Spark's JVM is a child of the Python process) and the CPU seconds of that
tree (less sensitive than wall time to other work on the machine), sampled every 0.2 s, and
the seconds per stage that ``--timings`` prints on stderr. Per history: the wall-time ratio
spark/local (and the CPU-time ratio), the adjusted Rand index between the two segments.csv
matched on customer id, the largest difference between the two model.json centroids, and the
Lloyd passes Spark made over every customer (summary.json ``engine.lloyd_passes``). Prints
JSON.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
WORK = HERE / "work"
HISTORIES = {"history_100k": 100_000, "history_1m": 1_000_000}  # file stem -> customers
MASTER = "local[2]"
TIMINGS = re.compile(r"custseg: timings: (?P<stages>.*); total (?P<total>[\d.]+) s")
STAGE = re.compile(r"(?P<name>\S+) (?P<seconds>[\d.]+) s")


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    parent = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            tree.setdefault(parent, []).append(int(entry))
    return tree


def _tree(root: int) -> tuple[float, dict[int, float]]:
    """Resident MB of the process tree under ``root`` and the CPU seconds of each process."""
    tree, total, stack, cpu = _children(), 0, [root], {}
    tick = os.sysconf("SC_CLK_TCK")
    while stack:
        pid = stack.pop()
        stack.extend(tree.get(pid, []))
        try:
            with open(f"/proc/{pid}/status") as handle:
                for line in handle:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            cpu[pid] = (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            continue
    return total / 1024, cpu


def parse_timings(stderr: str) -> dict[str, float]:
    """Seconds per stage from the ``custseg: timings: ...; total N s`` line, plus ``total``."""
    found = TIMINGS.search(stderr)
    if found is None:
        raise SystemExit(f"no timings line in:\n{stderr[-2000:]}")
    stages = {m["name"]: float(m["seconds"]) for m in STAGE.finditer(found["stages"])}
    return {**stages, "total": float(found["total"])}


def measure(command: list[str]) -> dict[str, Any]:
    """Wall seconds, peak MB and CPU seconds of the process tree, and the stage timings of
    one run. CPU seconds (user + system, every process of the tree, sampled every 0.2 s)
    depend less than wall time on other work sharing the machine's cores."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True)
    peak = 0.0
    cpu: dict[int, float] = {}
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            resident, seconds = _tree(process.pid)
            peak = max(peak, resident)
            cpu.update(seconds)
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = process.communicate()
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{err[-2000:]}")
    return {"s": round(time.perf_counter() - start, 1), "peak_mb": round(peak),
            "cpu_s": round(sum(cpu.values()), 1), "load": round(os.getloadavg()[0], 2),
            "timings": parse_timings(err)}


def history(stem: str, customers: int) -> Path:
    """The generated history ``bench/work/<stem>.parquet``, made if missing."""
    path = WORK / f"{stem}.parquet"
    if not path.exists():
        sys.path.insert(0, str(HERE.parent / "src"))
        from custseg import io
        from custseg.datasets.synthetic_history import purchase_history

        WORK.mkdir(exist_ok=True)
        io.write_table(path, purchase_history(customers, seed=0)[0])
    return path


def compare(local: Path, spark: Path) -> dict[str, Any]:
    """ARI between the two segments.csv (matched on customer id), the largest difference
    between the model.json centroids, and what each summary says."""
    import numpy as np
    import pandas as pd
    from sklearn.metrics import adjusted_rand_score

    a, b = (pd.read_csv(out / "segments.csv", usecols=["CustomerID", "segment"])
            for out in (local, spark))
    merged = a.merge(b, on="CustomerID", how="outer", indicator=True)
    centroids = [np.asarray(json.loads((out / "model.json").read_text())["centroids"])
                 for out in (local, spark)]
    same_shape = centroids[0].shape == centroids[1].shape
    summaries = [json.loads((out / "summary.json").read_text()) for out in (local, spark)]
    return {
        "ari": round(float(adjusted_rand_score(merged["segment_x"], merged["segment_y"])), 6)
        if (merged["_merge"] == "both").all() else None,
        "max_center_diff": float(np.abs(centroids[0] - centroids[1]).max())
        if same_shape else None,
        "k_local": summaries[0]["k"], "k_spark": summaries[1]["k"],
        "lloyd_passes": summaries[1]["engine"].get("lloyd_passes"),
        "lines": summaries[0]["transactions"]["quality"]["lines"],
        "customers": summaries[0]["n_customers"],
    }


def run() -> dict[str, object]:
    """Per history (key: its file stem): ``local`` and ``spark`` runs (``s``, ``peak_mb``,
    ``cpu_s``, ``load``: the 1-minute load average at the end, ``timings``: seconds per stage
    and ``total``), ``ratio`` (spark s / local s), ``cpu_ratio``, and what ``compare``
    finds."""
    results: dict[str, object] = {"master": MASTER}
    for stem, customers in HISTORIES.items():
        path = history(stem, customers)
        base = [sys.executable, "-m", "custseg", "segment", str(path), "--transactions",
                "--k", "auto", "--quiet", "--timings"]
        out_local, out_spark = WORK / f"{stem}_local", WORK / f"{stem}_spark"
        local = measure(base + ["--out", str(out_local)])
        spark = measure(base + ["--engine", "spark", "--spark-master", MASTER,
                                "--spark-conf", "spark.driver.memory=6g",
                                "--out", str(out_spark)])
        results[stem] = {"local": local, "spark": spark,
                         "ratio": round(spark["s"] / local["s"], 2),
                         "cpu_ratio": round(spark["cpu_s"] / local["cpu_s"], 2),
                         **compare(out_local, out_spark)}
    return results


if __name__ == "__main__":
    print(json.dumps(run(), indent=1))
