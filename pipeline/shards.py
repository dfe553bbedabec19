"""Parquet shards, the manifest and the dataset card: everything a release folder holds.

Shards are deterministic: rows are sorted by (input offset, id), names derive from the input file
and offset bucket, and Parquet is written without timestamps, so the same inputs and recipe give the
same bytes on every runner and in every re-run.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections import Counter
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from kazcorpus.pipeline import fs
from kazcorpus.pipeline.record import Doc, to_table

DATA_DIR = "data"
REJECTED_DIR = "rejected"
INDEX_DIR = "index"
WORK_DIR = "_work"


def shard_sort_key(doc: Doc) -> tuple:
    off = doc.provenance.offset
    return (-1 if off is None else off, doc.id)


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[:60] or "source"


ROW_GROUP_SIZE = 1000  # small enough that `trace` reads one row group, not a whole shard


def table_bytes(table: pa.Table) -> bytes:
    """The one Parquet writer setting of every shard (runs and `forget` rewrite alike)."""
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="zstd", write_statistics=True, store_schema=True,
                   row_group_size=ROW_GROUP_SIZE)
    return buf.getvalue()


def parquet_bytes(docs: list[Doc], *, rejected: bool) -> bytes:
    return table_bytes(to_table(docs, rejected=rejected))


def write_shard_group(out_dir: str, dest: str, group: str, source: str, docs: list[Doc], *,
                      max_rows: int, max_bytes: int) -> list[dict[str, Any]]:
    """Write one group of documents as one or more shards; returns an output entry per shard
    (path relative to `out_dir`, rows, bytes, sha256) plus the (id, row) pairs for the index."""
    docs = sorted(docs, key=shard_sort_key)
    rejected = dest == REJECTED_DIR
    chunks: list[list[Doc]] = []
    current: list[Doc] = []
    size = 0
    for d in docs:
        approx = len(d.text.encode("utf-8", "surrogatepass")) + 512
        if current and (len(current) >= max_rows or size + approx > max_bytes):
            chunks.append(current)
            current, size = [], 0
        current.append(d)
        size += approx
    if current:
        chunks.append(current)
    entries = []
    for n, chunk in enumerate(chunks):
        rel = f"{dest}/{_safe(source)}-{group}-{n:04d}.parquet"
        data = parquet_bytes(chunk, rejected=rejected)
        fs.write_bytes(fs.join(out_dir, rel), data)
        entries.append(
            {
                "path": rel,
                "rows": len(chunk),
                "bytes": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
                "ids": [d.id for d in chunk],
            }
        )
    return entries


INDEX_SCHEMA = pa.schema([("id", pa.string()), ("shard", pa.string()), ("row", pa.int64())])


INDEX_ROWS_PER_FILE = 50_000
INDEX_CHARS_BEFORE = 2  # releases written before the width was chosen per run (no `index_id_chars`)


def index_chars(n_docs: int) -> int:
    """How many leading hex digits of an id name its `index/` file: the fewest (1-4) that keep the
    files under INDEX_ROWS_PER_FILE rows on average.  A run of a thousand pages writes 16 files, not
    256 of four rows each (its WriteIndex stage: 0.19 -> 0.03 s with 2 workers); 100 million
    documents, 4,096."""
    chars = 1
    while chars < 4 and n_docs > INDEX_ROWS_PER_FILE * 16**chars:
        chars += 1
    return chars


def release_index_chars(manifest: dict[str, Any]) -> int:
    return int(manifest.get("index_id_chars") or INDEX_CHARS_BEFORE)


def index_bucket(doc_id: str, chars: int = INDEX_CHARS_BEFORE) -> str:
    return doc_id[:chars]


def write_index_bucket(out_dir: str, bucket: str, rows: list[tuple[str, str, int]]) -> dict[str, Any]:
    """`index/<bb>.parquet`: document id -> shard and row, so `trace` reads one small file."""
    rows = sorted(rows)
    table = pa.Table.from_pylist(
        [{"id": i, "shard": s, "row": r} for i, s, r in rows], schema=INDEX_SCHEMA
    )
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="zstd")
    data = buf.getvalue()
    rel = f"{INDEX_DIR}/{bucket}.parquet"
    fs.write_bytes(fs.join(out_dir, rel), data)
    return {"path": rel, "rows": len(rows), "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def funnel(stage_order: list[str], total_in: int, drops: dict[tuple[str, str], int]) -> list[dict[str, Any]]:
    """Per stage in order: documents in, out, and dropped per reason."""
    rows = []
    n = total_in
    for stage in stage_order:
        dropped = {reason: c for (st, reason), c in sorted(drops.items()) if st == stage}
        out = n - sum(dropped.values())
        rows.append({"stage": stage, "in": n, "out": out, "dropped": dropped})
        n = out
    return rows


def format_funnel(rows: list[dict[str, Any]], errors: dict[str, int]) -> str:
    lines = [f"{'stage':<14}{'in':>9}{'out':>9}  top drop reasons"]
    for r in rows:
        top = ", ".join(f"{k}={v}" for k, v in Counter(r["dropped"]).most_common(3))
        lines.append(f"{r['stage']:<14}{r['in']:>9}{r['out']:>9}  {top}")
    if errors:
        lines.append("errors (unreadable input): " + ", ".join(f"{k}={v}" for k, v in sorted(errors.items())))
    return "\n".join(lines)


def write_manifest(out_dir: str, manifest: dict[str, Any]) -> None:
    data = json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=False).encode()
    fs.write_bytes(fs.join(out_dir, "manifest.json"), data + b"\n")


def dataset_card(manifest: dict[str, Any], stats: dict[str, Any]) -> str:
    """The README.md of a release: what went in, what came out, per language, source and stage."""
    r = manifest
    lines = [
        f"# kazcorpus release `{r['run_id']}`",
        "",
        f"Built by kazcorpus {r['code']['kazcorpus']} (commit {r['code'].get('git_commit') or 'unknown'}) "
        f"from {len(r['inputs'])} input files ({sum(i['bytes'] or 0 for i in r['inputs']):,} bytes); "
        f"recipe hash `{r['recipe_hash']}`. Started {r['started']}, finished {r['finished']}.",
        "",
        "## What came out",
        "",
        f"- kept documents: {stats['kept']:,} in `data/`",
        f"- rejected documents: {stats['rejected']:,} in `rejected/` (each with `rejected_by` and `reason`)",
        f"- unreadable input: {sum(r['errors'].values()):,} ({', '.join(f'{k}: {v}' for k, v in sorted(r['errors'].items())) or 'none'})",
        "",
        "## Funnel",
        "",
        "| stage | in | out | dropped (reason: count) |",
        "|---|---:|---:|---|",
    ]
    for f in r["funnel"]:
        dropped = ", ".join(f"{k}: {v}" for k, v in sorted(f["dropped"].items(), key=lambda kv: -kv[1])) or "-"
        lines.append(f"| {f['stage']} | {f['in']:,} | {f['out']:,} | {dropped} |")
    lines += ["", "## Kept documents per language and script", "", "| lang | script | documents | characters |",
              "|---|---|---:|---:|"]
    for (lang, script), (n, chars) in sorted(stats["by_lang"].items(), key=lambda kv: -kv[1][0]):
        lines.append(f"| {lang} | {script} | {n:,} | {chars:,} |")
    lines += ["", "## Per source", "", "| source | read | kept | top drop reasons |", "|---|---:|---:|---|"]
    for source, s in sorted(stats["by_source"].items()):
        top = ", ".join(f"{k}: {v}" for k, v in Counter(s["reasons"]).most_common(3)) or "-"
        lines.append(f"| {source} | {s['read']:,} | {s['kept']:,} | {top} |")
    lines += [
        "",
        "## Provenance and verification",
        "",
        "Every document carries `provenance` (input file, byte offset and length of the raw record, record id,",
        "payload digest, extractor, run id). `kazcorpus trace ID --output THIS_FOLDER --reproduce` re-reads the raw",
        "record; `kazcorpus verify THIS_FOLDER` checks every file against `manifest.json`.",
        "",
    ]
    return "\n".join(lines)


def verify(out_dir: str) -> list[str]:
    """Problems found in a release folder: changed, missing and unlisted files."""
    problems: list[str] = []
    mpath = fs.join(out_dir, "manifest.json")
    if not fs.exists(mpath):
        return [f"missing manifest.json in {out_dir}"]
    try:
        manifest = json.loads(fs.read_bytes(mpath))
    except ValueError as exc:
        return [f"manifest.json is not valid JSON: {exc}"]
    listed = set()
    for entry in manifest.get("outputs", []):
        rel = entry["path"]
        listed.add(rel)
        path = fs.join(out_dir, rel)
        if not fs.exists(path):
            problems.append(f"missing: {rel}")
            continue
        size, digest = fs.sha256_file(path)
        if size != entry["bytes"]:
            problems.append(f"size mismatch: {rel}: manifest {entry['bytes']} bytes, found {size}")
        elif digest != entry["sha256"]:
            problems.append(f"sha256 mismatch: {rel}")
    # Unlisted files: anywhere under the released folders (data/, rejected/, index/ and any folder
    # holding a listed file, such as dedup/), and at the top level; `_work/` is the runs' scratch.
    released = {DATA_DIR, REJECTED_DIR, INDEX_DIR} | {p.split("/", 1)[0] for p in listed if "/" in p}
    if fs.is_remote(out_dir):
        from apache_beam.io.filesystems import FileSystems

        base = out_dir.rstrip("/") + "/"
        found = [m.path[len(base):] for r in FileSystems.match([base + "**"]) for m in r.metadata_list
                 if m.path.startswith(base)]
    else:
        import os

        found = []
        for dirpath, dirnames, filenames in os.walk(out_dir):
            rel_dir = os.path.relpath(dirpath, out_dir).replace(os.sep, "/")
            if rel_dir == ".":
                dirnames[:] = [d for d in dirnames if d in released]
            found += [name if rel_dir == "." else f"{rel_dir}/{name}" for name in filenames]
    for rel in sorted(found):
        top = rel.split("/", 1)[0]
        if rel in listed or rel == "manifest.json" or top.startswith(".") or ("/" in rel and top not in released):
            continue
        problems.append(f"not in manifest: {rel}")
    return problems
