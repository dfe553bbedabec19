"""JSONL (.jsonl, .gz, .zst), Parquet and plain-text inputs: text others already gathered.

Provenance: JSONL records carry the byte offset of their line in the decompressed stream (the file
offset for plain .jsonl) and the input's own id as `record_id`; Parquet rows carry `record_id` (the id
column, else "row:N"); text files are one document each, a folder of text files one per file with
the relative path as `record_id`.  `reread_*` re-read one record from those for `trace --reproduce`.
"""

from __future__ import annotations

import gzip
import io
import json
import os
from collections.abc import Iterator

import xxhash

from kazcorpus.pipeline.record import Doc, Provenance, ReadError, stable_id, text_hash
from kazcorpus.sources import WorkUnit


def _open_binary(path: str):
    f = open(path, "rb")
    if path.endswith(".gz"):
        return gzip.open(f)
    if path.endswith(".zst"):
        import zstandard

        # buffered: the zstd reader alone cannot iterate lines
        return io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(f, read_across_frames=True))
    return f


def _doc(unit: WorkUnit, key: str, text: str, *, offset: int | None, record_id: str | None,
         url: str | None, raw: bytes, metadata: dict | None = None) -> Doc:
    return Doc(
        id=stable_id(unit.source, key),
        source=unit.source,
        text=text,
        url=url,
        metadata=metadata or {},
        provenance=Provenance(
            uri=unit.path, offset=offset, length=len(raw), record_id=record_id,
            digest="xxh3:" + xxhash.xxh3_128_hexdigest(raw), extractor="none",
            text_hash=text_hash(text),
        ),
    )


def read(unit: WorkUnit) -> Iterator[Doc | ReadError]:
    if unit.kind == "jsonl":
        yield from read_jsonl(unit)
    elif unit.kind == "parquet":
        yield from read_parquet(unit)
    else:
        yield from read_text(unit)


def read_jsonl(unit: WorkUnit, *, start: int = 0, only_first: bool = False) -> Iterator[Doc | ReadError]:
    """One document per line; `offset` is the line's byte offset in the decompressed stream."""
    opts = unit.options
    text_field = opts.get("text_field", "text")
    id_field = opts.get("id_field", "id")
    url_field = opts.get("url_field", "url")
    offset = start
    lineno = 0
    try:
        with _open_binary(unit.path) as f:
            _skip(f, start)
            for raw in f:
                lineno += 1
                line_offset, offset = offset, offset + len(raw)
                if not raw.strip():
                    continue
                try:
                    obj = json.loads(raw)
                except ValueError as exc:
                    yield ReadError(unit.path, "bad_json", f"line {lineno}: {exc}", line_offset)
                    continue
                if not isinstance(obj, dict) or not isinstance(obj.get(text_field), str):
                    yield ReadError(unit.path, "missing_text_field",
                                    f"line {lineno}: no string field {text_field!r}", line_offset)
                    continue
                rid = obj.get(id_field)
                rid = str(rid) if rid is not None else None
                key = f"id:{rid}" if rid is not None else f"{os.path.basename(unit.path)}@{line_offset}"
                meta = {k: v for k, v in obj.items() if k not in (text_field, id_field, url_field)}
                yield _doc(unit, key, obj[text_field], offset=line_offset, record_id=rid,
                           url=obj.get(url_field), raw=raw, metadata=meta)
                if only_first:
                    return
    except (OSError, EOFError, ValueError) as exc:
        yield ReadError(unit.path, "truncated_or_corrupt", f"after line {lineno}: {exc}", offset)


def _skip(f, n: int) -> None:
    if not n:
        return
    try:
        f.seek(n)
    except (OSError, ValueError, io.UnsupportedOperation):
        while n:
            got = f.read(min(n, 1 << 20))
            if not got:
                return
            n -= len(got)


def read_parquet(unit: WorkUnit) -> Iterator[Doc | ReadError]:
    import pyarrow.parquet as pq

    opts = unit.options
    text_field = opts.get("text_field", "text")
    id_field = opts.get("id_field", "id")
    url_field = opts.get("url_field", "url")
    try:
        pf = pq.ParquetFile(unit.path)
    except Exception as exc:  # noqa: BLE001 - any pyarrow failure is an unreadable file
        yield ReadError(unit.path, "bad_parquet", str(exc))
        return
    if text_field not in pf.schema_arrow.names:
        yield ReadError(unit.path, "missing_text_field", f"no column {text_field!r}")
        return
    row = 0
    for batch in pf.iter_batches(batch_size=1024):
        for rec in batch.to_pylist():
            row_no, row = row, row + 1
            text = rec.get(text_field)
            if not isinstance(text, str):
                yield ReadError(unit.path, "missing_text_field", f"row {row_no}: not a string", None)
                continue
            rid = rec.get(id_field)
            rid = str(rid) if rid is not None else None
            key = f"id:{rid}" if rid is not None else f"{os.path.basename(unit.path)}#row{row_no}"
            meta = {k: v for k, v in rec.items() if k not in (text_field, id_field, url_field)}
            yield _doc(unit, key, text, offset=None, record_id=rid or f"row:{row_no}",
                       url=rec.get(url_field), raw=text.encode(), metadata=meta)


def read_text(unit: WorkUnit) -> Iterator[Doc | ReadError]:
    """A plain-text file is one document; a folder of text files gives one document per file
    (sorted, recursive, hidden files skipped), keyed by the path relative to the folder."""
    if os.path.isdir(unit.path):
        for root, dirs, files in os.walk(unit.path):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                if name.startswith("."):
                    continue
                full = os.path.join(root, name)
                yield from _read_text_file(unit, full, os.path.relpath(full, unit.path))
        return
    yield from _read_text_file(unit, unit.path, os.path.basename(unit.path))


def _read_text_file(unit: WorkUnit, path: str, key: str) -> Iterator[Doc | ReadError]:
    try:
        with _open_binary(path) as f:
            raw = f.read()
    except (OSError, EOFError) as exc:
        yield ReadError(path, "unreadable_file", str(exc))
        return
    encoding = unit.options.get("encoding")
    if encoding:
        text = raw.decode(encoding, errors="replace")
    else:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            from charset_normalizer import from_bytes

            best = from_bytes(raw).best()
            text = str(best) if best is not None else raw.decode("utf-8", errors="replace")
    doc = _doc(unit, key, text.replace("\r\n", "\n"), offset=0, record_id=key, url=None, raw=raw)
    doc.provenance.uri = path
    yield doc


def reread_jsonl(path: str, offset: int, *, record_id: str | None = None,
                 options: dict | None = None) -> Doc | ReadError:
    opts = dict(options or {})
    unit = WorkUnit(0, path, opts.pop("source", ""), "jsonl", options=opts)
    for item in read_jsonl(unit, start=offset, only_first=True):
        if isinstance(item, Doc) and record_id is not None and item.provenance.record_id != record_id:
            return ReadError(path, "record_not_found", f"line at {offset} has id {item.provenance.record_id}",
                             offset)
        return item
    return ReadError(path, "record_not_found", f"no record at offset {offset}", offset)


def reread_parquet(path: str, record_id: str, *, options: dict | None = None) -> Doc | ReadError:
    opts = dict(options or {})
    unit = WorkUnit(0, path, opts.pop("source", ""), "parquet", options=opts)
    for item in read_parquet(unit):
        if isinstance(item, ReadError) or item.provenance.record_id == record_id:
            return item
    return ReadError(path, "record_not_found", f"no row with id {record_id!r}", None)


def reread_text(path: str, *, record_id: str | None = None, options: dict | None = None) -> Doc | ReadError:
    """`path` is the file itself (its provenance uri); `record_id` the key it had in its folder."""
    opts = dict(options or {})
    unit = WorkUnit(0, path, opts.pop("source", ""), "text", options=opts)
    for item in _read_text_file(unit, path, record_id or os.path.basename(path)):
        return item
    return ReadError(path, "record_not_found", "empty", None)
