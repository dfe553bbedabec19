"""End-to-end throughput and memory: kazcorpus vs datatrove vs trafilatura alone, on the same real pages.

The pages under ../shared/data/web/html/ (trafilatura's evaluation set and test cache, about 1,000
pages of HTML in several languages) are packed into `--files` gzipped WARC files in a temporary
folder, then, in one run, each of these is timed in its own subprocess with 1 and 2 workers:

- trafilatura alone: the same `trafilatura.extract` call as kazcorpus's `extract` stage, over the
  same WARC records (warcio), one process per worker over the files;
- kazcorpus `run` with its full per-document stack (extract, clean, host boilerplate, LID, quality,
  toxicity, PII) and exact dedup; minhash off (the per-document comparison), and also with minhash on;
- datatrove `LocalPipelineExecutor`: WarcReader, Trafilatura, LanguageFilter (lid.176.ftz),
  GopherRepetition, GopherQuality, FineWebQuality, ParquetWriter (see `_datatrove.py` for the
  workarounds that keep it offline).

Both pipelines keep the languages that are common in the pages, so every stage works on most of them.
Fixed start-up cost (interpreter, imports, Beam graph, worker spawn) is measured on a tiny input of
one page per file and reported separately: "steady docs/s" = (N - n0) / (T - t0).

    .venv/bin/python benchmarks/e2e.py                     # all pages, 1 and 2 workers
    .venv/bin/python benchmarks/e2e.py --pages 300 --workers 1
    .venv/bin/python benchmarks/e2e.py --stages            # also: in-process time per kazcorpus stage

Targets (issue 10): kazcorpus >= 1.2x datatrove with 1 and 2 workers; within 10% of trafilatura alone
per worker; 2 workers >= 1.8x one worker.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    PY,
    REPO,
    Measured,
    env_single_thread,
    keep_languages,
    load_pages,
    measure,
    pack_warcs,
    write_recipe,
)

HERE = Path(__file__).resolve().parent


# --------------------------------------------------------------------------- child entry points
def _extract_files(paths: list[str]) -> tuple[int, int]:
    from kazcorpus.sources.html import ExtractConfig, html_to_text
    from warcio.archiveiterator import ArchiveIterator

    cfg = ExtractConfig()
    n = kept = 0
    for path in paths:
        with open(path, "rb") as f:
            for rec in ArchiveIterator(f):
                if rec.rec_type != "response":
                    continue
                text = html_to_text(rec.content_stream().read(), cfg)
                n += 1
                kept += bool(text)
    return n, kept


def child_trafilatura(in_dir: str, workers: int) -> None:
    files = sorted(str(p) for p in Path(in_dir).glob("*.warc.gz"))
    if workers == 1:
        n, kept = _extract_files(files)
    else:
        import multiprocessing as mp

        with mp.get_context("fork").Pool(workers) as pool:
            results = pool.map(_extract_files, [[f] for f in files], chunksize=1)
        n, kept = sum(r[0] for r in results), sum(r[1] for r in results)
    print(json.dumps({"records": n, "extracted": kept}))


def child_datatrove(in_dir: str, out_dir: str, log_dir: str, workers: int, tasks: int, langs: str) -> None:
    import _datatrove

    _datatrove.run(in_dir, out_dir, log_dir, workers=workers, tasks=tasks, languages=langs.split(","))


# --------------------------------------------------------------------------- per-stage profile
def stage_breakdown(in_dir: Path, recipe_path: Path) -> dict[str, float]:
    """Seconds per kazcorpus per-document stage, in this process, without Beam: where time goes."""
    from kazcorpus.pipeline.dedup import exact_key
    from kazcorpus.pipeline.operators import run_operators
    from kazcorpus.pipeline.recipe import load_recipe
    from kazcorpus.pipeline.record import ReadError
    from kazcorpus.pipeline.stages import build_operators
    from kazcorpus.sources import WorkUnit, read_unit

    recipe = load_recipe(recipe_path)
    ops = build_operators(recipe)
    for op in ops:
        op.setup()
    timings: dict[str, float] = {"read": 0.0}
    kept = []
    # One document first, untimed: lazy one-time loads (e.g. the toxicity URL blocklist) are set-up.
    first = next(d for d in read_unit(WorkUnit(0, str(sorted(in_dir.glob("*.warc.gz"))[0]), "bench", "warc"))
                 if not isinstance(d, ReadError))
    run_operators(first, ops)
    for i, path in enumerate(sorted(in_dir.glob("*.warc.gz"))):
        it = read_unit(WorkUnit(i, str(path), "bench", "warc"))
        while True:
            t0 = time.perf_counter()
            item = next(it, None)
            timings["read"] += time.perf_counter() - t0
            if item is None:
                break
            if isinstance(item, ReadError):
                continue
            run_operators(item, ops, timings=timings)
            if not item.rejected:
                kept.append(item)
    t0 = time.perf_counter()
    seen = {exact_key(d) for d in kept}
    timings["exact_key"] = time.perf_counter() - t0
    timings["_docs_kept"] = len(kept)
    timings["_unique"] = len(seen)
    return timings


# --------------------------------------------------------------------------- driver
def _fmt_row(m: Measured, steady: float | None) -> str:
    st = f"{steady:8.1f}" if steady else "       -"
    return (f"| {m.label:<34} | {m.docs:5d} | {m.seconds:7.1f} | {m.docs_per_s:7.1f} | {st} | "
            f"{m.peak_rss_mb:8.0f} | {m.max_single_rss_mb:8.0f} |")


def steady_rate(big: Measured, small: Measured | None) -> float | None:
    if small is None or big.seconds <= small.seconds or big.docs <= small.docs:
        return None
    return (big.docs - small.docs) / (big.seconds - small.seconds)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="example:\n  .venv/bin/python benchmarks/e2e.py --pages 300 --workers 1,2")
    ap.add_argument("--pages", type=int, default=0, help="use the first N pages (default: all)")
    ap.add_argument("--workers", default="1,2", help="comma-separated worker counts (default 1,2)")
    ap.add_argument("--files", type=int, default=8, help="WARC files to pack the pages into (default 8)")
    ap.add_argument("--tools", default="trafilatura,kazcorpus,kazcorpus-minhash,datatrove",
                    help="which of trafilatura,kazcorpus,kazcorpus-minhash,datatrove to run")
    ap.add_argument("--no-startup", action="store_true", help="skip the tiny-input start-up runs")
    ap.add_argument("--stages", action="store_true", help="print in-process seconds per kazcorpus stage")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder (path is printed)")
    ap.add_argument("--json", type=Path, help="also write the results as JSON here")
    sub = ap.add_subparsers(dest="child")  # internal: the measured subprocesses
    t = sub.add_parser("_trafilatura")
    t.add_argument("in_dir")
    t.add_argument("workers", type=int)
    d = sub.add_parser("_datatrove")
    for a in ("in_dir", "out_dir", "log_dir"):
        d.add_argument(a)
    d.add_argument("workers", type=int)
    d.add_argument("tasks", type=int)
    d.add_argument("langs")
    args = ap.parse_args(argv)

    if args.child == "_trafilatura":
        child_trafilatura(args.in_dir, args.workers)
        return 0
    if args.child == "_datatrove":
        child_datatrove(args.in_dir, args.out_dir, args.log_dir, args.workers, args.tasks, args.langs)
        return 0

    workers = [int(w) for w in args.workers.split(",") if w.strip()]
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    all_pages = load_pages()
    pages = all_pages[: args.pages] if args.pages else all_pages
    langs = keep_languages(all_pages)
    tmp = Path(tempfile.mkdtemp(prefix="kazcorpus-e2e-"))
    try:
        big = tmp / "warc"
        pack_warcs(pages, big, files=args.files)
        small = tmp / "warc-tiny"
        pack_warcs(pages[: args.files], small, files=args.files)
        html_mb = sum(p.path.stat().st_size for p in pages) / 2**20
        print(f"{len(pages)} pages ({html_mb:.0f} MB of HTML) in {args.files} WARC files under {tmp}; "
              f"languages kept by both pipelines: {','.join(langs)}", flush=True)
        results: dict[tuple[str, int], tuple[Measured, float | None]] = {}
        env = env_single_thread()
        env["PYTHONPATH"] = str(HERE)

        def kz_cmd(recipe: Path, w: int) -> list[str]:
            cmd = [PY, "-m", "kazcorpus.pipeline", "run", str(recipe)]
            if w > 1:
                cmd += ["--", f"--direct_num_workers={w}", "--direct_running_mode=multi_processing"]
            return cmd

        def one(tool: str, w: int, in_dir: Path, n: int, tag: str) -> Measured:
            run_dir = tmp / f"{tool}-{w}w-{tag}"
            run_dir.mkdir()
            if tool == "trafilatura":
                cmd = [PY, str(HERE / "e2e.py"), "_trafilatura", str(in_dir), str(w)]
            elif tool.startswith("kazcorpus"):
                recipe = write_recipe(run_dir / "recipe.yaml", inputs=in_dir, output=run_dir / "out",
                                      langs=langs, minhash=tool.endswith("minhash"))
                cmd = kz_cmd(recipe, w)
            else:
                cmd = [PY, str(HERE / "e2e.py"), "_datatrove", str(in_dir), str(run_dir / "out"),
                       str(run_dir / "logs"), str(w), str(args.files), ",".join(langs)]
            m = measure(f"{tool} {w}w", cmd, docs=n, env=env, cwd=REPO, log=run_dir / "log.txt")
            if m.rc != 0:
                print(f"!! {tool} {w}w ({tag}) failed (exit {m.rc}):\n{m.extra.get('tail', '')[-800:]}",
                      file=sys.stderr)
            return m

        print("| run                                | docs  | seconds | docs/s  | steady/s | peak MB  | 1-proc MB |")
        print("|------------------------------------|-------|---------|---------|----------|----------|-----------|")
        for tool in tools:
            for w in workers:
                s = None if args.no_startup else one(tool, w, small, len(pages[: args.files]), "tiny")
                m = one(tool, w, big, len(pages), "full")
                if m.rc != 0 or (s is not None and s.rc != 0):
                    print(f"| {m.label:<34} | FAILED (exit {m.rc}): not counted", flush=True)
                    continue
                results[(tool, w)] = (m, steady_rate(m, s))
                print(_fmt_row(m, results[(tool, w)][1]) + (f"  start-up {s.seconds:.1f}s" if s else ""),
                      flush=True)

        print()
        report = ratios(results, workers)
        for line in report:
            print(line)
        if args.stages:
            recipe = write_recipe(tmp / "stages.yaml", inputs=big, output=tmp / "stages-out", langs=langs,
                                  minhash=False)
            timings = stage_breakdown(big, recipe)
            total = sum(v for k, v in timings.items() if not k.startswith("_"))
            print(f"\nkazcorpus per-stage seconds, in-process, no Beam ({len(pages)} pages, "
                  f"{timings['_docs_kept']} kept):")
            for k, v in sorted(timings.items(), key=lambda kv: -kv[1] if not kv[0].startswith("_") else 0):
                if not k.startswith("_"):
                    print(f"  {k:<12} {v:7.2f} s  {100 * v / total:5.1f}%  {1000 * v / len(pages):6.2f} ms/page")
        if args.json:
            args.json.write_text(json.dumps(
                {f"{t} {w}w": {"docs": m.docs, "seconds": m.seconds, "docs_per_s": m.docs_per_s,
                               "steady_docs_per_s": st, "peak_rss_mb": m.peak_rss_mb, "rc": m.rc}
                 for (t, w), (m, st) in results.items()}, indent=1))
        return 0 if all(m.rc == 0 for m, _ in results.values()) else 1
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def ratios(results: dict, workers: list[int]) -> list[str]:
    """Ratio lines and target verdicts; both raw (wall) and steady-state rates where available."""
    out = []

    def rate(tool, w, steady):
        if (tool, w) not in results:
            return None
        m, st = results[(tool, w)]
        return st if steady and st else m.docs_per_s

    for steady in (False, True):
        kind = "steady" if steady else "wall"
        for w in workers:
            kz, dt, tf = rate("kazcorpus", w, steady), rate("datatrove", w, steady), rate("trafilatura", w, steady)
            kzm = rate("kazcorpus-minhash", w, steady)
            parts = []
            if kz and dt:
                parts.append(f"kazcorpus/datatrove {kz / dt:.2f}x [target >= 1.2: {'met' if kz / dt >= 1.2 else 'MISSED'}]")
            if kz and tf:
                parts.append(f"kazcorpus/trafilatura {kz / tf:.2f}x [target >= 0.9: {'met' if kz / tf >= 0.9 else 'MISSED'}]")
            if dt and tf:
                parts.append(f"datatrove/trafilatura {dt / tf:.2f}x")
            if kzm and kz:
                parts.append(f"minhash-on/off {kzm / kz:.2f}x")
            if parts:
                out.append(f"[{kind}] {w}w: " + "; ".join(parts))
        if 1 in workers and 2 in workers:
            for tool in ("kazcorpus", "kazcorpus-minhash", "datatrove", "trafilatura"):
                a, b = rate(tool, 1, steady), rate(tool, 2, steady)
                if a and b:
                    verdict = f" [target >= 1.8: {'met' if b / a >= 1.8 else 'MISSED'}]" if tool == "kazcorpus" else ""
                    out.append(f"[{kind}] {tool} 2w/1w {b / a:.2f}x{verdict}")
    return out


if __name__ == "__main__":
    raise SystemExit(main())
