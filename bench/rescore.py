"""Phase 4: the full rescore of N leads, run as `python -m bench.scoring` in a child process.

A child of its own keeps its memory apart from the sync phases'. Its peak RSS is VmHWM from
/proc, sampled while it runs: its `ru_maxrss` (and what `bench.scoring` prints from it) starts
at the parent's size when forked, so it would report the benchmark's own memory.
"""

from __future__ import annotations

import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

RATE = re.compile(r"([\d,]+) leads/s")


def rescore(leads: int, seed: int) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.scoring", "--leads", str(leads), "--seed", str(seed)]
    cpu_before = _children_cpu()
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as log:
        child = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, text=True)
        peak_kib = 0
        while child.poll() is None:
            peak_kib = max(peak_kib, _vm_hwm_kib(child.pid))
            time.sleep(0.2)
        log.seek(0)
        output = log.read()
    wall = time.perf_counter() - started
    if child.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({child.returncode}):\n{output}")
    total = next((line for line in output.splitlines() if line.startswith("total:")), "")
    return {
        "command": " ".join(["python", *command[1:]]),
        "leads": leads,
        "wall": wall,
        "cpu": _children_cpu() - cpu_before,
        "peak_rss_mb": peak_kib * 1024 / 1e6,
        "leads_per_second": leads / wall,
        "scoring_leads_per_second": [int(r.replace(",", "")) for r in RATE.findall(total)],
        "output": output.strip().splitlines(),
    }


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _vm_hwm_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0
