"""End-to-end throughput and memory: kazcorpus vs datatrove vs trafilatura alone, on the same real pages.

The pages under ../shared/data/web/html/ (trafilatura's evaluation set and test cache, about 1,000
pages of HTML in several languages) are packed into `--files` gzipped WARC files in a temporary
folder, then, in one run, each of these is timed in its own subprocess with 1 and 2 workers:

- trafilatura alone: `trafilatura.extract` with kazcorpus's settings (favour precision, no tables,
  no comments, no dedup) over the same WARC records (warcio), one process per worker over the files;
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
    .venv/bin/python benchmarks/e2e.py --repeat 3          # best of 3 rounds (what benchmarks/README.md shows)

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
from dataclasses import dataclass
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
def _extract_files(paths: list[str], fast: bool = False) -> tuple[int, int]:
    """trafilatura on its own: the library's `extract` with kazcorpus's settings, no wrapper
    (`fast`: with kazcorpus's output-identical XPath speed-ups, sources/fast_trafilatura.py)."""
    import trafilatura

    if fast:
        from kazcorpus.sources import fast_trafilatura

        fast_trafilatura.install()
    from warcio.archiveiterator import ArchiveIterator

    n = kept = 0
    for path in paths:
        with open(path, "rb") as f:
            for rec in ArchiveIterator(f):
                if rec.rec_type != "response":
                    continue
                text = trafilatura.extract(rec.content_stream().read(), favor_precision=True,
                                           include_tables=False, include_comments=False, deduplicate=False)
                n += 1
                kept += bool(text)
    return n, kept


def child_trafilatura(in_dir: str, workers: int, fast: bool = False) -> None:
    files = sorted(str(p) for p in Path(in_dir).glob("*.warc.gz"))
    if workers == 1:
        n, kept = _extract_files(files, fast)
    else:
        import multiprocessing as mp

        with mp.get_context("fork").Pool(workers) as pool:
            results = pool.starmap(_extract_files, [([f], fast) for f in files], chunksize=1)
        n, kept = sum(r[0] for r in results), sum(r[1] for r in results)
    print(json.dumps({"records": n, "extracted": kept}))


def child_datatrove(in_dir: str, out_dir: str, log_dir: str, workers: int, tasks: int, langs: str) -> None:
    import _datatrove

    _datatrove.run(in_dir, out_dir, log_dir, workers=workers, tasks=tasks, languages=langs.split(","))


# --------------------------------------------------------------------------- per-stage profile
def stage_breakdown(in_dir: Path, recipe_path: Path) -> dict[str, float]:
    """CPU seconds per kazcorpus per-document stage, in this process, without Beam: where time goes.

    The loop is `run_operators`'s (stop at the first drop), timed with process_time so that other
    load on the machine does not inflate it."""
    from kazcorpus.pipeline.dedup import exact_key
    from kazcorpus.pipeline.recipe import load_recipe
    from kazcorpus.pipeline.record import ReadError
    from kazcorpus.pipeline.stages import build_operators
    from kazcorpus.sources import WorkUnit, read_unit

    recipe = load_recipe(recipe_path)
    ops = build_operators(recipe)
    for op in ops:
        op.setup()
    files = sorted(in_dir.glob("*.warc.gz"))
    # Every stage sees one document first, untimed, so lazy one-time loads (the toxicity URL
    # blocklist, ...) count as set-up, not as per-document cost.
    first = next(d for d in read_unit(WorkUnit(0, str(files[0]), "bench", "warc")) if not isinstance(d, ReadError))
    for op in ops:
        op.annotate(first)
    timings: dict[str, float] = {"read": 0.0}
    kept = []
    clock = time.process_time
    for i, path in enumerate(files):
        it = read_unit(WorkUnit(i, str(path), "bench", "warc"))
        while True:
            t0 = clock()
            item = next(it, None)
            timings["read"] += clock() - t0
            if item is None:
                break
            if isinstance(item, ReadError):
                continue
            for op in ops:
                t0 = clock()
                op.annotate(item)
                reason = op.decide(item)
                timings[op.stage] = timings.get(op.stage, 0.0) + clock() - t0
                if reason:
                    item.drop(op.stage, reason)
                    break
            if not item.rejected:
                kept.append(item)
    t0 = clock()
    seen = {exact_key(d) for d in kept}
    timings["exact_key"] = clock() - t0
    timings["_docs_kept"] = len(kept)
    timings["_unique"] = len(seen)
    return timings


# --------------------------------------------------------------------------- driver
@dataclass
class Result:
    """One tool at one worker count: the full run and (optionally) the tiny start-up run."""

    full: Measured
    tiny: Measured | None

    def rate(self, kind: str) -> float | None:
        """docs/s by wall clock ("wall"), without start-up ("steady"), or per CPU-second ("cpu",
        start-up excluded where measured): the CPU figure is the one other load on the machine
        disturbs least, and with N workers on N free cores, wall rate ~ cpu rate x N x efficiency."""
        m, t = self.full, self.tiny
        if kind == "wall":
            return m.docs_per_s
        dn = m.docs - (t.docs if t else 0)
        if kind == "steady":
            dt = m.seconds - (t.seconds if t else 0)
        else:
            dt = m.cpu_s - (t.cpu_s if t else 0)
        return dn / dt if dn > 0 and dt > 0 else None


def _fmt_row(label: str, r: Result) -> str:
    m = r.full

    def f(x):
        return f"{x:8.1f}" if x else "       -"

    startup = f"{r.tiny.seconds:6.1f}" if r.tiny else "     -"
    return (f"| {label:<22} | {m.docs:5d} | {m.seconds:7.1f} | {startup} | {f(r.rate('wall'))} | "
            f"{f(r.rate('steady'))} | {m.cpu_s:7.1f} | {f(r.rate('cpu'))} | {m.peak_rss_mb:7.0f} | "
            f"{m.max_single_rss_mb:7.0f} |")


TABLE_HEAD = (
    "| run                    | docs  | wall s  | start s | docs/s   | steady/s | CPU s   | docs/CPU-s | peak MB | 1-proc MB |\n"
    "|------------------------|-------|---------|---------|----------|----------|---------|----------|---------|---------|"
)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="example:\n  .venv/bin/python benchmarks/e2e.py --pages 300 --workers 1,2")
    ap.add_argument("--pages", type=int, default=0, help="use the first N pages (default: all)")
    ap.add_argument("--workers", default="1,2", help="comma-separated worker counts (default 1,2)")
    ap.add_argument("--files", type=int, default=8, help="WARC files to pack the pages into (default 8)")
    ap.add_argument("--tools", default="trafilatura,trafilatura-fast,kazcorpus,kazcorpus-minhash,datatrove",
                    help="which of trafilatura,trafilatura-fast,kazcorpus,kazcorpus-minhash,datatrove to run "
                         "(trafilatura-fast: trafilatura alone with kazcorpus's output-identical speed-ups)")
    ap.add_argument("--repeat", type=int, default=1,
                    help="rounds; each figure is the best (fastest) of them, as timeit does: on a shared or "
                         "virtual machine other load only ever adds time (rounds go over every tool in turn)")
    ap.add_argument("--no-startup", action="store_true", help="skip the tiny-input start-up runs")
    ap.add_argument("--stages", action="store_true", help="print in-process seconds per kazcorpus stage")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder (path is printed)")
    ap.add_argument("--json", type=Path, help="also write the results as JSON here")
    sub = ap.add_subparsers(dest="child")  # internal: the measured subprocesses
    t = sub.add_parser("_trafilatura")
    t.add_argument("in_dir")
    t.add_argument("workers", type=int)
    t.add_argument("--fast", action="store_true")
    d = sub.add_parser("_datatrove")
    for a in ("in_dir", "out_dir", "log_dir"):
        d.add_argument(a)
    d.add_argument("workers", type=int)
    d.add_argument("tasks", type=int)
    d.add_argument("langs")
    args = ap.parse_args(argv)

    if args.child == "_trafilatura":
        child_trafilatura(args.in_dir, args.workers, args.fast)
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
        results: dict[tuple[str, int], Result] = {}
        env = env_single_thread()
        env["PYTHONPATH"] = str(HERE)

        def kz_cmd(recipe: Path, w: int) -> list[str]:
            cmd = [PY, "-m", "kazcorpus.pipeline", "run", str(recipe)]
            if w > 1:
                cmd += ["--", f"--direct_num_workers={w}", "--direct_running_mode=multi_processing"]
            return cmd

        def one(tool: str, w: int, in_dir: Path, n: int, tag: str) -> Measured:
            run_dir = tmp / f"{tool}-{w}w-{tag}"
            shutil.rmtree(run_dir, ignore_errors=True)  # an earlier round's
            run_dir.mkdir()
            if tool.startswith("trafilatura"):
                cmd = [PY, str(HERE / "e2e.py"), "_trafilatura", str(in_dir), str(w)]
                if tool == "trafilatura-fast":
                    cmd.append("--fast")
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

        def best(a: Measured | None, b: Measured) -> Measured:
            if a is None or a.rc != 0:
                return b
            if b.rc != 0:
                return a
            fastest = a if a.seconds <= b.seconds else b
            # CPU is noisy the same way (stolen cycles, cache pollution): keep its minimum too
            fastest.cpu_s = min(a.cpu_s, b.cpu_s)
            return fastest

        runs: dict[tuple[str, int], list[Measured | None]] = {}
        for rnd in range(max(1, args.repeat)):
            if args.repeat > 1:
                print(f"round {rnd + 1} of {args.repeat}", flush=True)
            for tool in tools:
                for w in workers:
                    tiny_best, full_best = runs.get((tool, w), [None, None])
                    if not args.no_startup:
                        tiny_best = best(tiny_best, one(tool, w, small, len(pages[: args.files]), "tiny"))
                    full_best = best(full_best, one(tool, w, big, len(pages), "full"))
                    runs[(tool, w)] = [tiny_best, full_best]
        print(TABLE_HEAD)
        for tool in tools:
            for w in workers:
                tiny, full = runs[(tool, w)]
                if full.rc != 0 or (tiny is not None and tiny.rc != 0):
                    print(f"| {tool} {w}w | FAILED: not counted", flush=True)
                    continue
                results[(tool, w)] = Result(full, tiny)
                print(_fmt_row(f"{tool} {w}w", results[(tool, w)]), flush=True)

        print()
        report = ratios(results, workers)
        for line in report:
            print(line)
        if args.stages:
            recipe = write_recipe(tmp / "stages.yaml", inputs=big, output=tmp / "stages-out", langs=langs,
                                  minhash=False)
            timings = stage_breakdown(big, recipe)
            total = sum(v for k, v in timings.items() if not k.startswith("_"))
            print(f"\nkazcorpus per-stage CPU seconds, in-process, no Beam ({len(pages)} pages, "
                  f"{timings['_docs_kept']} kept):")
            for k, v in sorted(timings.items(), key=lambda kv: -kv[1] if not kv[0].startswith("_") else 0):
                if not k.startswith("_"):
                    print(f"  {k:<12} {v:7.2f} s  {100 * v / total:5.1f}%  {1000 * v / len(pages):6.2f} ms/page CPU")
        if args.json:
            args.json.write_text(json.dumps(
                {f"{t} {w}w": {"docs": r.full.docs, "seconds": r.full.seconds, "cpu_s": r.full.cpu_s,
                               "startup_s": r.tiny.seconds if r.tiny else None,
                               "docs_per_s": r.rate("wall"), "steady_docs_per_s": r.rate("steady"),
                               "docs_per_cpu_s": r.rate("cpu"), "peak_rss_mb": r.full.peak_rss_mb,
                               "max_single_rss_mb": r.full.max_single_rss_mb}
                 for (t, w), r in results.items()}, indent=1))
        return 0 if len(results) == len(tools) * len(workers) else 1
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def ratios(results: dict[tuple[str, int], Result], workers: list[int]) -> list[str]:
    """Ratio lines with the issue's targets, for each way of counting the rate."""
    out = []

    def rate(tool, w, kind):
        r = results.get((tool, w))
        return r.rate(kind) if r else None

    def verdict(x, target):
        return f"[target >= {target}: {'met' if x >= target else 'MISSED'}]"

    for kind in ("wall", "steady", "cpu"):
        for w in workers:
            kz, dt, tf = rate("kazcorpus", w, kind), rate("datatrove", w, kind), rate("trafilatura", w, kind)
            kzm = rate("kazcorpus-minhash", w, kind)
            tff = rate("trafilatura-fast", w, kind)
            parts = []
            if kz and dt:
                parts.append(f"kazcorpus/datatrove {kz / dt:.2f}x {verdict(kz / dt, 1.2)}")
            if kz and tf:
                parts.append(f"kazcorpus/trafilatura {kz / tf:.2f}x {verdict(kz / tf, 0.9)}")
            if kz and tff:
                parts.append(f"kazcorpus/trafilatura-fast {kz / tff:.2f}x")
            if tff and tf:
                parts.append(f"trafilatura-fast/trafilatura {tff / tf:.2f}x")
            if dt and tf:
                parts.append(f"datatrove/trafilatura {dt / tf:.2f}x")
            if kzm and kz:
                parts.append(f"minhash on/off {kzm / kz:.2f}x")
            if parts:
                out.append(f"[{kind}] {w}w: " + "; ".join(parts))
        if kind != "cpu" and 1 in workers and 2 in workers:
            for tool in ("kazcorpus", "kazcorpus-minhash", "datatrove", "trafilatura", "trafilatura-fast"):
                a, b = rate(tool, 1, kind), rate(tool, 2, kind)
                if a and b:
                    v = " " + verdict(b / a, 1.8) if tool == "kazcorpus" else ""
                    out.append(f"[{kind}] {tool} 2w/1w {b / a:.2f}x{v}")
        if kind == "cpu" and 1 in workers and 2 in workers:
            for tool in ("kazcorpus", "datatrove", "trafilatura"):
                a, b = rate(tool, 1, kind), rate(tool, 2, kind)
                if a and b:
                    out.append(f"[cpu] {tool} CPU per doc, 2w vs 1w: {a / b:.2f}x "
                               f"(1.00 = no parallel overhead; 2w/1w on 2 free cores <= {2 * b / a:.2f}x)")
    return out


if __name__ == "__main__":
    raise SystemExit(main())
