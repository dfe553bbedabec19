"""How the near-dedup stage grows with the input: time and memory of NearDedup (Beam DirectRunner,
one worker) at a few sizes, and a linear extrapolation to a million documents.

Each size runs in a fresh process, once with the stage and once without (same documents built and
held), so the peak resident memory of the stage is the difference of the two.  The clustering
worker's own share (the union-find over candidate edges) is measured with tracemalloc.

    .venv/bin/python benchmarks/dedup_scale.py --sizes 5000 10000 20000
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

CHILD = r"""
import json, resource, sys, tempfile, time
sys.path.insert(0, {here!r})
import dedup_speed as ds
from kazcorpus.pipeline.dedup import DedupConfig
n, run_stage = {n}, {run_stage}
texts, langs = ds.build(n)
out = {{"n": n, "bytes": sum(len(t.encode()) for t in texts)}}
if run_stage:
    cfg = DedupConfig()
    with tempfile.TemporaryDirectory() as folder:
        out["seconds"], out["kept"] = ds.ours_end_to_end(texts, langs, cfg, folder)
        t0 = time.perf_counter()
        _, _, hasher, _, sigs = ds.ours_signatures(texts, langs, cfg)
        out["edges"], out["clustered"], out["uf_peak"] = ds.clustering_memory(hasher, sigs, cfg)
out["maxrss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print("RESULT " + json.dumps(out))
"""


def measure(n: int, run_stage: bool) -> dict:
    code = CHILD.format(here=str(HERE), n=n, run_stage=run_stage)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT "))
    return json.loads(line[len("RESULT "):])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[5000, 10000, 20000])
    ap.add_argument("--target", type=int, default=1_000_000)
    args = ap.parse_args()
    rows = []
    print(f"{'docs':>8} {'MB text':>8} {'seconds':>8} {'docs/s':>7} {'stage peak MB':>14} {'bytes/doc':>10} "
          f"{'edges':>7} {'clustered':>9} {'union-find B/clustered doc':>27}")
    for n in args.sizes:
        with_stage, without = measure(n, True), measure(n, False)
        stage_mb = (with_stage["maxrss_kb"] - without["maxrss_kb"]) / 1024
        r = {**with_stage, "stage_mb": stage_mb}
        rows.append(r)
        print(f"{n:>8} {r['bytes'] / 1e6:>8.1f} {r['seconds']:>8.1f} {n / r['seconds']:>7.0f} {stage_mb:>14.0f} "
              f"{stage_mb * 2**20 / n:>10.0f} {r['edges']:>7} {r['clustered']:>9} "
              f"{r['uf_peak'] / max(r['clustered'], 1):>27.0f}")
    # Least-squares line through the measured points (time and memory are linear in documents).
    import numpy as np

    ns = np.array([r["n"] for r in rows], dtype=float)
    for key, unit in (("seconds", "s"), ("stage_mb", "MB")):
        ys = np.array([r[key] for r in rows])
        slope, icpt = np.polyfit(ns, ys, 1) if len(rows) > 1 else (ys[0] / ns[0], 0.0)
        print(f"extrapolated to {args.target:,} documents: {key} = {slope * args.target + icpt:,.0f} {unit} "
              f"({slope * 1e3:.3f} {unit} per 1,000 documents)")
    uf = max(r["uf_peak"] / max(r["clustered"], 1) for r in rows)
    share = max(r["clustered"] / r["n"] for r in rows)
    print(f"clustering worker: {uf:.0f} bytes per clustered document, {share:.0%} of documents clustered here")


if __name__ == "__main__":
    main()
