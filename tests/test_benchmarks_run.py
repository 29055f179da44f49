"""The benchmark scripts still run (at a tiny size): a schema change once broke two of them
silently, since nothing but a person running them would notice. Speed is not checked here."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.mark.parametrize("script, args", [
    ("bench_metrics.py", ["--rows", "2000"]),
    ("bench_scoring.py", ["--rows", "2000"]),
    ("bench_values.py", ["2000"]),
    ("bench_ingest.py", ["--rows", "300", "--skip-pandas"]),   # its file cached in benchmarks/output
], ids=["metrics", "scoring", "values", "ingest"])
def test_benchmark_script_runs(script, args):
    done = subprocess.run([sys.executable, str(BENCHMARKS / script), *args], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "ms" in done.stdout or " s" in done.stdout
