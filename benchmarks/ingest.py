"""Ingest benchmark: WARC reading + extraction against trafilatura alone, on the same real pages.

Packs a sample of the real pages in ../shared/data/web/html/ (see the MANIFEST.tsv files) into a
per-record-gzip WARC, then times, in one process and alternating runs:

  trafilatura  - the project's trafilatura call on each page's bytes (the extractor's own cost)
  ingest       - kazcorpus.sources.warc.read + the `extract` operator (gunzip, HTTP parsing, charset,
                 rights signals, <html lang>, time limit, text hash) on the WARC

and prints documents/second of each and the overhead of reading and plumbing over the extractor
(target: at most 10%).

    .venv/bin/python benchmarks/ingest.py --pages 300 --repeats 2
"""

from __future__ import annotations

import argparse
import gzip
import random
import sys
import tempfile
import time
from pathlib import Path

from kazcorpus.sources import WorkUnit
from kazcorpus.sources import warc as warc_reader
from kazcorpus.sources.html import ExtractConfig, ExtractOperator, _trafilatura

HTML_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "web" / "html"


def load_pages(n: int, seed: int) -> list[tuple[str, bytes]]:
    pages = []
    for manifest in sorted(HTML_DIR.glob("*/MANIFEST.tsv")):
        lines = manifest.read_text(encoding="utf-8").splitlines()[1:]
        for line in lines:
            name, url = line.split("\t")[:2]
            path = manifest.parent / name
            if path.is_file():
                pages.append((url, path))
    random.Random(seed).shuffle(pages)
    return [(url, path.read_bytes()) for url, path in pages[:n]]


def pack_warc(pages: list[tuple[str, bytes]], path: Path) -> None:
    with open(path, "wb") as f:
        for i, (url, body) in enumerate(pages):
            http = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n" % len(body)) + body
            head = (f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:bench-{i:08d}>\r\n"
                    f"WARC-Date: 2024-01-01T00:00:00Z\r\nWARC-Target-URI: {url}\r\n"
                    f"Content-Type: application/http; msgtype=response\r\nContent-Length: {len(http)}\r\n\r\n")
            f.write(gzip.compress(head.encode() + http + b"\r\n\r\n", compresslevel=6, mtime=0))


def run_trafilatura(pages, cfg) -> tuple[float, int]:
    t0 = time.perf_counter()
    n = 0
    for url, body in pages:
        result = _trafilatura(body, cfg, with_metadata=cfg.with_metadata, url=url)
        n += bool(result and result["text"])
    return time.perf_counter() - t0, n


def run_ingest(path: Path, cfg) -> tuple[float, int, float]:
    op = ExtractOperator(config=cfg)
    unit = WorkUnit(0, str(path), "bench", "warc", options={"extract": cfg.model_dump()})
    t0 = time.perf_counter()
    n = 0
    read_time = 0.0
    it = warc_reader.read(unit)
    while True:
        r0 = time.perf_counter()
        doc = next(it, None)
        read_time += time.perf_counter() - r0
        if doc is None:
            break
        op.annotate(doc)
        n += op.decide(doc) is None
    return time.perf_counter() - t0, n, read_time


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=300)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    if not HTML_DIR.is_dir():
        print(f"no pages: {HTML_DIR} is absent", file=sys.stderr)
        return 1
    pages = load_pages(args.pages, args.seed)
    cfg = ExtractConfig()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.warc.gz"
        pack_warc(pages, path)
        size = path.stat().st_size
        run_trafilatura(pages[:20], cfg)  # warm-up: imports and lazy caches of both paths
        best_t = best_i = float("inf")
        read_t = 0.0
        n_t = n_i = 0
        for _ in range(args.repeats):
            t, n_t = run_trafilatura(pages, cfg)
            best_t = min(best_t, t)
            i, n_i, r = run_ingest(path, cfg)
            if i < best_i:
                best_i, read_t = i, r
    n = len(pages)
    print(f"pages: {n} ({sum(len(b) for _, b in pages) / 1e6:.1f} MB html, WARC {size / 1e6:.1f} MB), "
          f"best of {args.repeats}")
    print(f"trafilatura alone : {n / best_t:8.1f} docs/s  ({n_t} with text)")
    print(f"ingest+extraction : {n / best_i:8.1f} docs/s  ({n_i} kept)")
    print(f"  of which reading: {read_t:.3f} s ({n / read_t:,.0f} records/s)")
    print(f"overhead over the extractor: {100 * (best_i / best_t - 1):+.1f}%  (target <= +10%)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
