"""The one document type that flows through kazcorpus, its stable id, and its Arrow schema.

Every reader in `sources/` yields `Doc`s, every operator in `filters/` annotates or rewrites a `Doc`,
and `pipeline/shards.py` writes them with `ARROW_SCHEMA`.  Keeping a single flat, slotted type (as
datatrove does) means no hand conversion between stages and one round trip to test.
"""

from __future__ import annotations

import dataclasses
import json
import pickle
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import xxhash


def stable_id(source: str, key: str) -> str:
    """Id of a record: a 128-bit hash of the recipe's source name and the record's own key.

    The key is what the source itself uses to name the record (WARC-Record-ID, file + byte offset,
    wiki page id, the JSONL `id` field...), never a row number, so the same record gets the same id
    in every run, on every runner, however the work was split.
    """
    return xxhash.xxh3_128_hexdigest(f"{source}\x00{key}".encode())


def text_hash(text: str) -> str:
    """Hash of extracted text, recorded at ingest (before PII redaction) for `trace --reproduce`."""
    return xxhash.xxh3_128_hexdigest(text.encode("utf-8", "surrogatepass"))


@dataclass(slots=True)
class Provenance:
    """Where a document came from, precisely enough to re-read the raw record alone."""

    uri: str
    offset: int | None = None  # byte offset of the record (of its gzip member) in `uri`
    length: int | None = None  # bytes of the record (member) at `offset`
    record_id: str | None = None  # WARC-Record-ID, wiki page id, or the input's own `id` field
    digest: str | None = None  # hash of the raw record payload (the record's own when present)
    date: str | None = None  # WARC-Date / revision timestamp
    extractor: str | None = None  # "trafilatura 2.3.1", "mwparserfromhell 0.7.2", "none"
    run_id: str | None = None
    text_hash: str | None = None  # xxh3-128 of the text right after extraction (before redaction)
    robots: str | None = None  # the crawler's robots.txt decision for this fetch (WARC-Robots)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


@dataclass(slots=True)
class Doc:
    """A document: text plus everything decided about it.

    `raw`/`raw_type` carry the undecoded payload from a reader to the `extract` stage and are never
    written out.  `annotations` maps a stage name to that stage's scores (JSON-serialisable), written
    for kept and rejected documents alike so every decision can be inspected later.
    """

    id: str
    source: str
    provenance: Provenance
    text: str = ""
    url: str | None = None
    lang: str | None = None
    script: str | None = None
    lang_score: float | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    annotations: dict[str, Any] = field(default_factory=dict)
    minhash_cluster: str | None = None
    cluster_size: int | None = None
    rejected_by: str | None = None
    reason: str | None = None
    raw: bytes | None = None
    raw_type: str | None = None  # "html" | "text" | "wikitext" | None (text already final)

    def drop(self, stage: str, reason: str) -> Doc:
        self.rejected_by = stage
        self.reason = reason
        return self

    @property
    def rejected(self) -> bool:
        return self.rejected_by is not None

    def to_row(self) -> dict[str, Any]:
        """A flat dict matching `ARROW_SCHEMA` (JSON for the free-form fields)."""
        return {
            "id": self.id,
            "text": self.text,
            "lang": self.lang,
            "script": self.script,
            "lang_score": self.lang_score,
            "url": self.url,
            "source": self.source,
            "provenance": self.provenance.to_dict(),
            "minhash_cluster": self.minhash_cluster,
            "cluster_size": self.cluster_size,
            "title": self.metadata.get("title"),
            "metadata": _dumps(self.metadata),
            "annotations": _dumps(self.annotations),
            "rejected_by": self.rejected_by,
            "reason": self.reason,
        }

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Doc:
        prov = row.get("provenance") or {}
        return cls(
            id=row["id"],
            source=row["source"],
            provenance=Provenance(**{k: prov.get(k) for k in PROVENANCE_FIELDS}),
            text=row.get("text") or "",
            url=row.get("url"),
            lang=row.get("lang"),
            script=row.get("script"),
            lang_score=row.get("lang_score"),
            metadata=json.loads(row["metadata"]) if row.get("metadata") else {},
            annotations=json.loads(row["annotations"]) if row.get("annotations") else {},
            minhash_cluster=row.get("minhash_cluster"),
            cluster_size=row.get("cluster_size"),
            rejected_by=row.get("rejected_by"),
            reason=row.get("reason"),
        )

    def to_json(self) -> str:
        return json.dumps(self.to_row(), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, line: str) -> Doc:
        return cls.from_row(json.loads(line))


def _dumps(value: dict[str, Any]) -> str:
    # sort_keys: the same document must give the same bytes in every run (resume, multi-process).
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


PROVENANCE_FIELDS = tuple(f.name for f in dataclasses.fields(Provenance))

PROVENANCE_TYPE = pa.struct(
    [
        ("uri", pa.string()),
        ("offset", pa.int64()),
        ("length", pa.int64()),
        ("record_id", pa.string()),
        ("digest", pa.string()),
        ("date", pa.string()),
        ("extractor", pa.string()),
        ("run_id", pa.string()),
        ("text_hash", pa.string()),
        ("robots", pa.string()),
    ]
)

_BASE_FIELDS = [
    ("id", pa.string()),
    ("text", pa.string()),
    ("lang", pa.string()),
    ("script", pa.string()),
    ("lang_score", pa.float64()),
    ("url", pa.string()),
    ("source", pa.string()),
    ("provenance", PROVENANCE_TYPE),
    ("minhash_cluster", pa.string()),
    ("cluster_size", pa.int64()),
    ("title", pa.string()),
    ("metadata", pa.string()),  # JSON object
    ("annotations", pa.string()),  # JSON object: stage -> scores
]

ARROW_SCHEMA = pa.schema(_BASE_FIELDS)  # data/
REJECTED_SCHEMA = pa.schema(_BASE_FIELDS + [("rejected_by", pa.string()), ("reason", pa.string())])


def pack(doc: Doc) -> bytes:
    """`doc` as one bytes value, for the stretches of the graph that only move documents around.

    Between stages Beam encodes every element; Beam's local runner also decodes and re-encodes each
    element it groups, in its single driver process, and a Flatten costs a stage of its own that
    does the same.  A `Doc` is an object graph (~45 us to pickle and unpickle a 5 kB page); a bytes
    value is copied.  So documents travel
    packed through every Flatten, Reshuffle and GroupByKey, and only the stages that read or change
    them unpack: one round trip per stage that does work instead of one per hop.
    """
    return pickle.dumps(doc, protocol=pickle.HIGHEST_PROTOCOL)


def unpack(data: bytes) -> Doc:
    """The inverse of `pack` (only ever fed what this run's own stages packed)."""
    return pickle.loads(data)


def to_table(docs: list[Doc], *, rejected: bool = False) -> pa.Table:
    schema = REJECTED_SCHEMA if rejected else ARROW_SCHEMA
    rows = [d.to_row() for d in docs]
    if not rejected:
        for r in rows:
            r.pop("rejected_by", None)
            r.pop("reason", None)
    return pa.Table.from_pylist(rows, schema=schema)


def from_table(table: pa.Table) -> list[Doc]:
    return [Doc.from_row(r) for r in table.to_pylist()]


@dataclass(slots=True)
class ReadError:
    """An input that could not be read: counted under `errors` in the manifest, never fatal."""

    uri: str
    reason: str  # snake_case, e.g. "truncated_gzip", "missing_file", "bad_json"
    detail: str = ""
    offset: int | None = None
