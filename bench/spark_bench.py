"""The same 10M-line history through the local engine and the Spark engine (local mode).

Wall time from the clock; peak memory as the largest sum of resident memory over the whole
process tree (Spark's JVM is a child of the Python process), sampled every 0.2 s. Spark runs
with local[1] and local[2] to show how its time changes with cores. Prints JSON.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / "work"


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


def _tree_rss_mb(root: int) -> float:
    tree, total, stack = _children(), 0, [root]
    while stack:
        pid = stack.pop()
        stack.extend(tree.get(pid, []))
        try:
            with open(f"/proc/{pid}/status") as handle:
                for line in handle:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def measure(command: list[str]) -> dict[str, float]:
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True)
    peak = 0.0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_mb(process.pid))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = process.communicate()
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{err[-2000:]}")
    return {"s": round(time.perf_counter() - start, 1), "peak_mb": round(peak)}


def run() -> dict[str, object]:
    history = WORK / "history_1m.parquet"
    if not history.exists():
        sys.path.insert(0, str(HERE.parent / "src"))
        from custseg import io
        from custseg.datasets.synthetic_history import purchase_history

        WORK.mkdir(exist_ok=True)
        io.write_table(history, purchase_history(1_000_000, seed=0)[0])
    base = [sys.executable, "-m", "custseg", "segment", str(history), "--transactions",
            "--k", "auto", "--quiet"]
    results: dict[str, object] = {"local": measure(base + ["--out", str(WORK / "spark_local")])}
    for cores in (1, 2):
        results[f"spark_local[{cores}]"] = measure(
            base + ["--engine", "spark", "--spark-master", f"local[{cores}]",
                    "--spark-conf", "spark.driver.memory=6g",
                    "--out", str(WORK / f"spark_{cores}")])
    for label in ("spark_1", "spark_2"):
        summary = json.loads((WORK / label / "summary.json").read_text())
        results[f"k_{label}"] = summary["k"]
    results["k_local"] = json.loads((WORK / "spark_local" / "summary.json").read_text())["k"]
    return results


if __name__ == "__main__":
    print(json.dumps(run(), indent=1))
