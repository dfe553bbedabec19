"""How long `kazcorpus trace` takes to find one document in a large release, against full scans.

Builds a synthetic release (documents with random ids in zstd shards, the id index, a manifest)
and times, for the same random ids:

* `audit.trace` (index bucket -> one row group of one shard),
* DuckDB `SELECT * ... WHERE id = ?` over every shard (the id is random, so statistics cannot prune),
* a pyarrow.dataset filter over every shard.

Usage: .venv/bin/python benchmarks/trace_lookup.py [--docs 200000] [--queries 20] [--words 60]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import pyarrow.dataset as ds

from kazcorpus.pipeline import audit, shards
from kazcorpus.pipeline.record import Doc, Provenance, stable_id

WORDS = "қазақ тілі мемлекет қала ауыл мектеп кітап жаңа жыл халық тарих өнер ғылым жол су жер".split()


def build(root: Path, n_docs: int, per_shard: int, words: int) -> list[str]:
    rng = random.Random(1)
    outputs, index = [], defaultdict(list)
    ids = []
    for s in range(0, n_docs, per_shard):
        docs = []
        for i in range(s, min(n_docs, s + per_shard)):
            doc_id = stable_id("bench", f"rec-{i}")
            ids.append(doc_id)
            docs.append(Doc(id=doc_id, source="bench", text=" ".join(rng.choices(WORDS, k=words)),
                            url=f"https://site{i % 97}.example.kz/page/{i}",
                            provenance=Provenance(uri="/data/bench.warc.gz", offset=i * 4096, text_hash="0")))
        for e in shards.write_shard_group(str(root), shards.DATA_DIR, f"{s:08d}", "bench", docs,
                                          max_rows=per_shard, max_bytes=1 << 40):
            for row, doc_id in enumerate(e.pop("ids")):
                index[shards.index_bucket(doc_id)].append((doc_id, e["path"], row))
            outputs.append(e)
    for bucket, rows in sorted(index.items()):
        outputs.append(shards.write_index_bucket(str(root), bucket, rows))
    manifest = {"run_id": "bench", "recipe_hash": "bench", "recipe": {}, "inputs": [], "outputs": outputs,
                "funnel": [], "models": {}, "code": {}, "packages": {}}
    (root / "manifest.json").write_text(json.dumps(manifest))
    return ids


def _set_row_group(rows: int) -> None:
    """Shards with smaller row groups: `trace` then reads one of them instead of the whole shard."""
    import io

    import pyarrow.parquet as pq

    from kazcorpus.pipeline.record import to_table

    def parquet_bytes(docs, *, rejected):
        buf = io.BytesIO()
        pq.write_table(to_table(docs, rejected=rejected), buf, compression="zstd", write_statistics=True,
                       store_schema=True, row_group_size=rows)
        return buf.getvalue()

    shards.parquet_bytes = parquet_bytes


def timed(fn, ids: list[str]) -> float:
    times = []
    for doc_id in ids:
        t0 = time.perf_counter()
        got = fn(doc_id)
        times.append(time.perf_counter() - t0)
        assert got == doc_id, (got, doc_id)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=200_000)
    ap.add_argument("--per-shard", type=int, default=10_000)
    ap.add_argument("--queries", type=int, default=20)
    ap.add_argument("--words", type=int, default=60, help="words per document")
    ap.add_argument("--row-group", type=int, default=None,
                    help="rows per Parquet row group in the shards (default: the shard writer's)")
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="kazcorpus-trace-bench-"))
    try:
        if args.row_group:
            _set_row_group(args.row_group)
        t0 = time.perf_counter()
        ids = build(root, args.docs, args.per_shard, args.words)
        size = sum(p.stat().st_size for p in root.rglob("*.parquet"))
        print(f"release: {args.docs:,} documents, {args.docs // args.per_shard} shards, {size / 1e6:.1f} MB "
              f"(built in {time.perf_counter() - t0:.1f} s)")
        queries = random.Random(2).sample(ids, args.queries)
        results = {"audit.trace (index)": timed(lambda i: audit.trace(str(root), i)["id"], queries)}
        dataset = ds.dataset(str(root / "data"), format="parquet")
        results["pyarrow.dataset filter (scan)"] = timed(
            lambda i: dataset.to_table(filter=ds.field("id") == i).column("id")[0].as_py(), queries)
        try:
            import duckdb

            con = duckdb.connect()
            glob = str(root / "data" / "*.parquet")
            results["duckdb WHERE id = ? (scan)"] = timed(
                lambda i: con.execute(f"SELECT * FROM read_parquet('{glob}') WHERE id = ?", [i]).fetchone()[0],
                queries)
        except ImportError:
            print("duckdb not installed: its row is skipped")
        base = results["audit.trace (index)"]
        print(f"{'method':<32}{'median ms':>12}{'x trace':>10}")
        for name, t in results.items():
            print(f"{name:<32}{t * 1000:>12.2f}{t / base:>10.1f}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
