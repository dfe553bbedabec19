"""Memory as the input grows: kazcorpus's per-document stages at 1x/2x/4x, and the dedup stage vs N.

1. Per-document stages: the real pages (../shared/data/web/html/) are packed 1, 2 and 4 times into
   WARC files (each copy with its own record ids and URLs) and `kazcorpus run` processes them with
   the full per-document stack and dedup off, one worker.  Flat means the peak stays near the 1x
   figure: memory is bounded by the unit being processed, not by the input.
2. Dedup: N synthetic documents (JSONL; ~2,000 characters of Zipf-distributed words, 10% near-copies
   of another document) go through `kazcorpus run` with every per-document stage off, once with
   exact + MinHash dedup on and once with dedup off (the baseline).  Time and peak memory for growing
   N are fitted by least squares, a + b*N, and extrapolated to 1M documents.

Every run is a subprocess; peak memory is the summed RSS of its process tree (see _common.py).

    .venv/bin/python benchmarks/memory.py                                   # defaults below
    .venv/bin/python benchmarks/memory.py --pages 100 --scales 1,2,4 --dedup-n 2000,4000,8000
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import yaml  # noqa: E402
from _common import PY, REPO, env_single_thread, keep_languages, load_pages, measure, pack_warcs  # noqa: E402

OFF = {"enabled": False}


def kz_run(label: str, recipe: dict, folder: Path, docs: int, workers: int = 1):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "recipe.yaml"
    path.write_text(yaml.safe_dump(recipe, allow_unicode=True), encoding="utf-8")
    cmd = [PY, "-m", "kazcorpus.pipeline", "run", str(path)]
    if workers > 1:
        cmd += ["--", f"--direct_num_workers={workers}", "--direct_running_mode=multi_processing"]
    m = measure(label, cmd, docs=docs, env=env_single_thread(), cwd=REPO, log=folder / "log.txt")
    if m.rc != 0:
        print(f"!! {label} failed (exit {m.rc}):\n{m.extra.get('tail', '')[-1500:]}", file=sys.stderr)
    return m


# --------------------------------------------------------------------------- 1. per-document stages
def per_document_scaling(tmp: Path, pages: int, scales: list[int], files: int, workers: int) -> list[dict]:
    all_pages = load_pages()
    base = all_pages[:pages] if pages else all_pages
    langs = keep_languages(all_pages)
    rows = []
    for k in scales:
        warcs = tmp / f"scale-{k}x" / "warc"
        pack_warcs(base, warcs, files=files * k, copies=k)  # same pages per file at every scale
        recipe = {
            "inputs": [{"path": str(warcs / "*.warc.gz"), "source": "bench", "kind": "warc"}],
            "output": str(tmp / f"scale-{k}x" / "out"),
            "langid": {"enabled": True, "keep": langs, "min_score": 0.5},
            "pii": {"enabled": True}, "quality": {"enabled": True}, "toxicity": {"enabled": True},
            "dedup": OFF,
        }
        n = len(base) * k
        m = kz_run(f"per-document {k}x", recipe, tmp / f"scale-{k}x", n, workers)
        rows.append({"scale": k, "docs": n, "seconds": m.seconds, "cpu_s": m.cpu_s, "peak_rss_mb": m.peak_rss_mb,
                     "max_single_rss_mb": m.max_single_rss_mb, "rc": m.rc})
        print(f"| {k}x | {n:6d} | {m.seconds:7.1f} | {m.cpu_s:7.1f} | {m.peak_rss_mb:7.0f} | "
              f"{m.max_single_rss_mb:7.0f} |", flush=True)
    return rows


# --------------------------------------------------------------------------- 2. dedup vs N
def synthetic_docs(path: Path, n: int, *, seed: int = 1, chars: int = 2000) -> None:
    """N distinct documents; every tenth is a near-copy (5% of words changed) of an earlier one."""
    rng = random.Random(seed)
    letters = "абвгдеёжзийклмнопрстуфхцчшщъыьэюяәғқңөұүһі"
    vocab = ["".join(rng.choice(letters) for _ in range(rng.randint(2, 10))) for _ in range(20000)]
    weights = [1 / (r + 1) for r in range(len(vocab))]
    texts: list[list[str]] = []
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            if i % 10 == 9 and texts:
                words = list(rng.choice(texts[-200:]))
                for j in rng.sample(range(len(words)), max(1, len(words) // 20)):
                    words[j] = rng.choice(vocab)
            else:
                words = rng.choices(vocab, weights=weights, k=chars // 7)
            texts.append(words)
            lines = [" ".join(words[j:j + 12]) + "." for j in range(0, len(words), 12)]
            f.write(json.dumps({"id": f"doc-{i}", "text": "\n".join(lines)}, ensure_ascii=False) + "\n")


def fit(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """Least-squares a + b*x."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx if sxx else 0.0
    return my - b * mx, b


def dedup_scaling(tmp: Path, ns: list[int], workers: int) -> list[dict]:
    rows = []
    for n in ns:
        folder = tmp / f"dedup-{n}"
        folder.mkdir(parents=True)
        synthetic_docs(folder / "docs.jsonl", n)
        base = {
            "inputs": [{"path": str(folder / "docs.jsonl"), "source": "synthetic", "kind": "jsonl"}],
            "clean": OFF, "langid": OFF, "pii": OFF, "quality": OFF, "toxicity": OFF,
        }
        on = kz_run(f"dedup on {n}", {**base, "output": str(folder / "on"),
                                       "dedup": {"exact": True, "minhash": True, "backend": "cpu",
                                                 "boilerplate": OFF}}, folder / "on", n, workers)
        off = kz_run(f"dedup off {n}", {**base, "output": str(folder / "off"), "dedup": OFF},
                     folder / "off", n, workers)
        row = {"docs": n, "on_s": on.seconds, "off_s": off.seconds, "on_cpu_s": on.cpu_s, "off_cpu_s": off.cpu_s,
               "on_peak_mb": on.peak_rss_mb, "off_peak_mb": off.peak_rss_mb, "rc": max(on.rc, off.rc)}
        rows.append(row)
        print(f"| {n:7d} | {on.seconds:7.1f} | {off.seconds:7.1f} | {on.cpu_s - off.cpu_s:8.1f} | "
              f"{on.peak_rss_mb:7.0f} | {off.peak_rss_mb:7.0f} |", flush=True)
    ok = [r for r in rows if r["rc"] == 0]
    if len(ok) >= 2:
        xs = [r["docs"] for r in ok]
        a_t, b_t = fit(xs, [r["on_cpu_s"] - r["off_cpu_s"] for r in ok])
        a_w, b_w = fit(xs, [r["on_s"] for r in ok])
        a_m, b_m = fit(xs, [r["on_peak_mb"] for r in ok])
        a_o, b_o = fit(xs, [r["off_peak_mb"] for r in ok])
        big = 1_000_000
        print(f"\nfit, per 1,000 docs: dedup CPU {1000 * b_t:.2f} s, whole run wall {1000 * b_w:.2f} s, "
              f"peak memory {1000 * b_m:.1f} MB with dedup, {1000 * b_o:.1f} MB without")
        print(f"extrapolated to 1M documents (~2,000 chars each), one worker: dedup CPU "
              f"{(a_t + b_t * big) / 3600:.2f} h, whole run {(a_w + b_w * big) / 3600:.2f} h, "
              f"peak memory {(a_m + b_m * big) / 1024:.1f} GB (dedup on) vs {(a_o + b_o * big) / 1024:.1f} GB (off)")
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="example:\n  .venv/bin/python benchmarks/memory.py --pages 100 --scales 1,2,4")
    ap.add_argument("--pages", type=int, default=200, help="real pages per copy (0 = all; default 200)")
    ap.add_argument("--scales", default="1,2,4", help="copies of the pages (default 1,2,4)")
    ap.add_argument("--files", type=int, default=4, help="WARC files per copy (default 4)")
    ap.add_argument("--dedup-n", default="2000,4000,8000", help="synthetic document counts (default 2000,4000,8000)")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--skip", choices=("per-document", "dedup"), action="append", default=[])
    ap.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="kazcorpus-memory-"))
    out: dict = {}
    try:
        if "per-document" not in args.skip:
            print("per-document stages (dedup off), peak memory as the input grows:")
            print("| input | docs   | wall s  | CPU s   | peak MB | 1-proc MB |")
            print("|-------|--------|---------|---------|---------|-----------|")
            out["per_document"] = per_document_scaling(tmp, args.pages, [int(s) for s in args.scales.split(",")],
                                                       args.files, args.workers)
        if "dedup" not in args.skip:
            print("\ndedup stage (exact + MinHash) vs N, per-document stages off:")
            print("| docs    | on s    | off s   | dedup CPU s | peak on MB | peak off MB |")
            print("|---------|---------|---------|-------------|------------|-------------|")
            out["dedup"] = dedup_scaling(tmp, [int(n) for n in args.dedup_n.split(",")], args.workers)
        if args.json:
            args.json.write_text(json.dumps(out, indent=1))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
