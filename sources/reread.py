"""Re-read ONE record of an input, exactly as the sequential reader produced it.

`trace --reproduce` calls this with what a document's provenance recorded (input file, kind, offset,
record id) to get the raw record back, then re-runs the `extract` operator on it and compares the text
hash.  Each reader seeks straight to the record: a WARC/ARC gzip member, a page of a MediaWiki dump
(its offset in the decompressed XML), a JSONL line (its offset in the decompressed stream).  Parquet
rows are found by id; a text file is re-read whole.
"""

from __future__ import annotations

from typing import Any

from kazcorpus.pipeline.record import Doc, ReadError
from kazcorpus.sources import infer_kind


def reread(path: str, kind: str, offset: int | None, *, record_id: str | None = None,
           options: dict[str, Any] | None = None) -> Doc | ReadError:
    """The record at `offset` of `path`.  `options` may hold `source` (so the id matches the run),
    `inner_offset` (WARC records that do not start their gzip member: `metadata["inner_offset"]`)
    and the reader options the input had (text/id/url fields, extract config)."""
    opts = dict(options or {})
    try:
        if kind in ("warc", "wet", "arc"):
            from kazcorpus.sources import warc

            inner = int(opts.pop("inner_offset", 0) or 0)
            return warc.reread_record(path, kind, offset or 0, record_id=record_id, inner_offset=inner,
                                      options=opts)
        if kind == "mediawiki":
            from kazcorpus.sources import mediawiki

            return mediawiki.reread_page(path, offset or 0, record_id=record_id, options=opts)
        if kind == "jsonl":
            from kazcorpus.sources import tabular

            return tabular.reread_jsonl(path, offset or 0, record_id=record_id, options=opts)
        if kind == "parquet":
            from kazcorpus.sources import tabular

            if record_id is None:
                return ReadError(path, "record_not_found", "a Parquet row is re-read by its record_id")
            return tabular.reread_parquet(path, record_id, options=opts)
        if kind == "text":
            from kazcorpus.sources import tabular

            return tabular.reread_text(path, record_id=record_id, options=opts)
    except FileNotFoundError as exc:
        return ReadError(path, "missing_file", str(exc), offset)
    except Exception as exc:  # noqa: BLE001 - reproduce reports, it never crashes on a bad record
        return ReadError(path, "read_failed", f"{type(exc).__name__}: {exc}", offset)
    return ReadError(path, "unknown_kind", f"no reader for kind {kind!r}", offset)


def reread_doc(doc: Doc, *, kind: str | None = None, options: dict[str, Any] | None = None) -> Doc | ReadError:
    """Re-read the record a stored document came from, using its provenance and metadata."""
    prov = doc.provenance
    kind = kind or infer_kind(prov.uri) or "warc"
    opts = {"source": doc.source, **(options or {})}
    if doc.metadata.get("inner_offset"):
        opts["inner_offset"] = doc.metadata["inner_offset"]
    return reread(prov.uri, kind, prov.offset, record_id=prov.record_id, options=opts)
