"""Work units: sized from the whole input, and the output does not depend on how inputs are cut."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kazcorpus.pipeline import graph
from kazcorpus.pipeline.recipe import parse_recipe
from kazcorpus.pipeline.run import run
from tests.pipeline.test_resume import _make_inputs, _shards

MiB = 1024 * 1024


def _sparse(path: Path, size: int) -> dict:
    with open(path, "wb") as f:
        f.truncate(size)
    return {"path": str(path)}


def test_unit_size_aims_at_many_units_within_bounds(tmp_path):
    small = [_sparse(tmp_path / f"s{i}", 100_000) for i in range(10)]
    assert graph.unit_bytes_for(small) == graph.MIN_UNIT_BYTES
    mid = [_sparse(tmp_path / f"m{i}", 64 * MiB) for i in range(10)]  # 640 MiB / 128 units
    assert graph.unit_bytes_for(mid) == 640 * MiB // graph.TARGET_UNITS
    huge = [_sparse(tmp_path / "h", 1000 * graph.UNIT_TARGET_BYTES)]
    assert graph.unit_bytes_for(huge) == graph.UNIT_TARGET_BYTES
    # a file that cannot be stat-ed (remote, missing) counts as one full unit
    assert graph.unit_bytes_for([{"path": "gs://bucket/x.warc.gz"}]) == graph.UNIT_TARGET_BYTES // graph.TARGET_UNITS


def _recipe(inputs: Path, out: Path):
    return parse_recipe({
        "inputs": [{"path": str(inputs / "*.warc.gz"), "source": "units-test", "kind": "warc"}],
        "output": str(out),
        "langid": {"enabled": True, "keep": ["kk"], "min_score": 0.0},
        "quality": {"enabled": False},
        "dedup": {"exact": True, "minhash": False},
    })


@pytest.mark.slow
def test_output_is_the_same_however_the_inputs_are_cut(tmp_path, monkeypatch):
    _make_inputs(tmp_path / "in")
    whole = run(_recipe(tmp_path / "in", tmp_path / "whole"))
    monkeypatch.setattr(graph, "MIN_UNIT_BYTES", 4096)  # each file cut into several units
    cut = run(_recipe(tmp_path / "in", tmp_path / "cut"))

    def units(out: Path) -> int:
        return len(list(out.glob("_work/*/units/*.parquet")))

    n_files = len(os.listdir(tmp_path / "in"))
    assert units(tmp_path / "whole") == n_files
    assert units(tmp_path / "cut") > 2 * n_files
    assert whole["counts"] == cut["counts"] and whole["counts"]["kept"] > 0
    assert _shards(tmp_path / "whole") == _shards(tmp_path / "cut")


def test_workers_tune_garbage_collection_once(tmp_path):
    import subprocess
    import sys

    code = (
        "import gc\n"
        "calls, real_freeze = [], gc.freeze\n"
        "gc.freeze = lambda: (calls.append(1), real_freeze())\n"
        "from kazcorpus.pipeline import graph\n"
        "from kazcorpus.pipeline.recipe import parse_recipe\n"
        "ctx = graph.RunContext(parse_recipe({'inputs': [{'path': 'x.warc.gz', 'source': 's', 'kind': 'warc'}],"
        " 'output': 'o'}), 'r', 'o')\n"
        "before = gc.get_threshold()[0]\n"
        "fn = graph.MeasureDocs(ctx)\n"
        "fn.setup()\n"
        "frozen = gc.get_freeze_count()\n"
        "graph.ProcessUnit(ctx).setup()\n"
        "print(before, gc.get_threshold()[0], frozen > 1000, len(calls) == 1)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    before, after, frozen, once = out.stdout.split()
    assert int(before) < graph.GC_YOUNG_THRESHOLD == int(after)
    assert frozen == "True" and once == "True"  # set-up's objects frozen, and only by the first DoFn
