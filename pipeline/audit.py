"""Auditor tools: trace a document to its raw record, reproduce its extraction, honour takedowns.

A release folder answers, for any document id, where it came from and what every stage decided:

* `trace` finds the document through `index/<first two hex chars>.parquet` (id -> shard, row), reads
  that one row from its shard (one row group, never the whole release) and joins it with the run's
  manifest: recipe hash, model sha256s, the thresholds the document was judged by.
* `reproduce` re-reads the raw record alone (`sources/reread.py` seeks to the WARC member, dump page
  or JSONL line), re-runs extraction and compares with `provenance.text_hash`.  That hash is taken by
  the extract operator (or by the reader for inputs that carry text) right after extraction, before
  cleaning, boilerplate removal and PII redaction, so extraction is all that must be re-run to check
  it; cleaning is re-applied only to make the diff shown on a mismatch comparable with the released
  text.
* `forget` writes a new release without the named documents and everything that shares their text
  (exact duplicates, near-duplicate clusters), moves them to `rejected/` with reason `takedown` and
  their text removed, records the request in the manifest and the dataset card, and appends the
  entries to a blocklist file that later runs apply right after extraction (`BlocklistOperator`,
  recipe key `blocklist`).  The new release is built in a temporary folder, verified, then swapped
  in, so readers never see half a takedown.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import json
import logging
import os
import re
import shutil
import uuid
from collections import Counter, defaultdict
from collections.abc import Container, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from kazcorpus.pipeline import fs, shards
from kazcorpus.pipeline.operators import BaseOperator
from kazcorpus.pipeline.record import REJECTED_SCHEMA, Doc, ReadError, text_hash
from kazcorpus.sources.crawl.scope import DEFAULT_PORTS, idna_host

log = logging.getLogger(__name__)

TAKEDOWN_STAGE = "takedown"
TAKEDOWN_REASON = "takedown"
DUPLICATE_STAGES = ("exact_dedup", "near_dedup")
MAX_DIFF_LINES = 40
MAX_DIFF_LINE_CHARS = 240
PREVIEW_CHARS = 300
MAX_LISTED_DOCS = 1000


class AuditError(RuntimeError):
    """A release the audit tools cannot work on (no manifest, fails verify, remote folder...)."""


# --------------------------------------------------------------------------- reading a release
def load_manifest(out_dir: str) -> dict[str, Any]:
    path = fs.join(out_dir, "manifest.json")
    if not fs.exists(path):
        raise AuditError(f"no manifest.json in {out_dir}: is it a kazcorpus output folder?")
    return json.loads(fs.read_bytes(path))


def _id_column_is(table: pa.Table, doc_id: str) -> pa.Array:
    if len(doc_id) >= 32:
        return pc.equal(table["id"], doc_id)
    return pc.starts_with(table["id"], doc_id)


def lookup(out_dir: str, doc_id: str, *, manifest: dict[str, Any] | None = None) -> tuple[str, str, int] | None:
    """(full id, shard path relative to the release, row) of a document, from its index bucket.

    A prefix of an id (at least 2 characters, and as many as the release's index files are named
    by) is accepted when it names one document.  `manifest`: the release's, if already read.
    """
    doc_id = doc_id.strip().lower()
    chars = shards.release_index_chars(manifest if manifest is not None else load_manifest(out_dir))
    if len(doc_id) < max(2, chars):
        return None
    path = fs.join(out_dir, shards.INDEX_DIR, f"{shards.index_bucket(doc_id, chars)}.parquet")
    if not fs.exists(path):
        if fs.exists(fs.join(out_dir, shards.INDEX_DIR)):
            return None
        return _scan_for(out_dir, doc_id)  # a release written before the index existed
    with fs.open_read(path) as f:
        table = pq.read_table(f)
    hits = table.filter(_id_column_is(table, doc_id))
    if hits.num_rows != 1:
        if hits.num_rows > 1:
            raise AuditError(f"id prefix {doc_id} names {hits.num_rows} documents; give more characters")
        return None
    row = hits.to_pylist()[0]
    return row["id"], row["shard"], int(row["row"])


def _release_shards(manifest: dict[str, Any]) -> list[str]:
    prefixes = (shards.DATA_DIR + "/", shards.REJECTED_DIR + "/")
    return [e["path"] for e in manifest.get("outputs", []) if e["path"].startswith(prefixes)]


def _scan_for(out_dir: str, doc_id: str) -> tuple[str, str, int] | None:
    log.warning("no index/ in %s: scanning every shard for %s", out_dir, doc_id)
    for rel in _release_shards(load_manifest(out_dir)):
        with fs.open_read(fs.join(out_dir, rel)) as f:
            ids = pq.read_table(f, columns=["id"])
        mask = _id_column_is(ids, doc_id).to_pylist()
        for row, hit in enumerate(mask):
            if hit:
                return ids["id"][row].as_py(), rel, row
    return None


def read_row(out_dir: str, shard: str, row: int, *, doc_id: str | None = None) -> dict[str, Any] | None:
    """One row of a shard, reading only the row group that holds it.

    When `doc_id` is given and the row holds another document (an index out of step with its
    shards), the shard is searched for the id instead, and the row is flagged `_index_stale`.
    """
    with fs.open_read(fs.join(out_dir, shard)) as f:
        pf = pq.ParquetFile(f)
        start = 0
        found = None
        for i in range(pf.num_row_groups):
            n = pf.metadata.row_group(i).num_rows
            if row < start + n:
                found = pf.read_row_group(i).slice(row - start, 1).to_pylist()[0]
                break
            start += n
        if doc_id is None or (found is not None and found["id"] == doc_id):
            return found
        table = pf.read()
    hits = table.filter(pc.equal(table["id"], doc_id))
    if hits.num_rows == 0:
        return None
    found = hits.to_pylist()[0]
    found["_index_stale"] = True
    return found


# --------------------------------------------------------------------------- trace
def _json(value: str | None) -> dict[str, Any]:
    return json.loads(value) if value else {}


def _stage_order(manifest: dict[str, Any]) -> list[str]:
    order = [f["stage"] for f in manifest.get("funnel", [])]
    if order:
        return order
    from kazcorpus.pipeline.stages import DOC_STAGES, GLOBAL_STAGES

    return list(DOC_STAGES) + list(GLOBAL_STAGES)


def _stage_settings(recipe: dict[str, Any], stage: str, scores: Any) -> Any:
    """The recipe section a stage was run with; for `quality`, only the threshold set it used."""
    if stage in ("exact_dedup", "near_dedup"):
        return recipe.get("dedup")
    if stage == "boilerplate":
        return (recipe.get("dedup") or {}).get("boilerplate")
    if stage == "blocklist":
        return {"path": recipe.get("blocklist")}
    section = recipe.get(stage)
    if stage == "quality" and isinstance(section, dict) and isinstance(scores, dict):
        used = scores.get("thresholds")
        table = section.get("thresholds") or {}
        if isinstance(used, str) and used in table:
            section = {**{k: v for k, v in section.items() if k != "thresholds"},
                       "thresholds": {used: table[used]}}
    return section


def _decisions(row: dict[str, Any], annotations: dict[str, Any], order: list[str],
               recipe: dict[str, Any]) -> list[dict[str, Any]]:
    """Every stage in run order with its scores and what it decided about this document."""
    takedown = annotations.get(TAKEDOWN_STAGE) or {}
    previous = takedown.get("previous") or {}
    if row.get("rejected_by") == TAKEDOWN_STAGE:
        # The run's own decision, before the takedown rewrote it.
        dropped_by, reason = previous.get("rejected_by"), previous.get("reason")
    else:
        dropped_by, reason = row.get("rejected_by"), row.get("reason")
    out = []
    reached = True
    for stage in order:
        if stage == TAKEDOWN_STAGE:
            continue
        scores = annotations.get(stage)
        if not reached:
            decision = "not_reached"
        elif stage == dropped_by:
            decision = "dropped"
            reached = False
        else:
            decision = "passed"
        entry = {"stage": stage, "decision": decision, "reason": reason if decision == "dropped" else None,
                 "scores": scores, "settings": _stage_settings(recipe, stage, scores)}
        out.append(entry)
    if dropped_by and dropped_by not in order:
        out.append({"stage": dropped_by, "decision": "dropped", "reason": reason,
                    "scores": annotations.get(dropped_by), "settings": None})
    if row.get("rejected_by") == TAKEDOWN_STAGE:
        out.append({"stage": TAKEDOWN_STAGE, "decision": "dropped", "reason": row.get("reason"),
                    "scores": takedown, "settings": None})
    return out


def _language_spans(annotations: dict[str, Any]) -> Any:
    lid = annotations.get("langid")
    if not isinstance(lid, dict):
        return None
    for key in ("spans", "segments", "lang_spans"):
        if key in lid:
            return lid[key]
    return None


def _duplicates(out_dir: str, row: dict[str, Any], annotations: dict[str, Any],
                manifest: dict[str, Any]) -> dict[str, Any]:
    info: dict[str, Any] = {"minhash_cluster": row.get("minhash_cluster"), "cluster_size": row.get("cluster_size"),
                            "duplicate_of": None, "duplicate_stage": None, "representative": None}
    # The stage that dropped the document names its representative; otherwise the last one that did.
    stages = [s for s in DUPLICATE_STAGES if s != row.get("rejected_by")] + [row.get("rejected_by")]
    for stage in stages:
        ann = annotations.get(stage) if stage else None
        rep = ann.get("duplicate_of") if isinstance(ann, dict) else None
        if rep:
            info["duplicate_of"], info["duplicate_stage"] = rep, stage
    rep_id = info["duplicate_of"]
    if rep_id is None and row.get("minhash_cluster") and row["minhash_cluster"] != row["id"]:
        rep_id = row["minhash_cluster"]  # clusters named after their representative
    if rep_id and rep_id != row["id"]:
        hit = lookup(out_dir, rep_id, manifest=manifest) if re.fullmatch(r"[0-9a-f]{32}", rep_id) else None
        if hit:
            rep = read_row(out_dir, hit[1], hit[2], doc_id=hit[0]) or {}
            info["representative"] = {"id": hit[0], "url": rep.get("url"), "source": rep.get("source"),
                                      "shard": hit[1], "row": hit[2],
                                      "status": "rejected" if rep.get("rejected_by") else "kept",
                                      "rejected_by": rep.get("rejected_by"), "reason": rep.get("reason")}
    return info


def trace(out_dir: str, doc_id: str, reproduce: bool = False, *, full_text: bool = False) -> dict[str, Any] | None:
    """Everything known about one document, as a JSON-able dict; None when the id is not in the release."""
    manifest = load_manifest(out_dir)
    hit = lookup(out_dir, doc_id, manifest=manifest)
    if hit is None:
        return None
    full_id, shard, row_no = hit
    row = read_row(out_dir, shard, row_no, doc_id=full_id)
    if row is None:
        return None
    annotations = _json(row.get("annotations"))
    metadata = _json(row.get("metadata"))
    recipe = manifest.get("recipe") or {}
    prov = row.get("provenance") or {}
    text = row.get("text") or ""
    result: dict[str, Any] = {
        "id": row["id"],
        "status": "rejected" if row.get("rejected_by") else "kept",
        "rejected_by": row.get("rejected_by"),
        "reason": row.get("reason"),
        "source": row.get("source"),
        "url": row.get("url"),
        "title": row.get("title"),
        "shard": shard,
        "row": row_no,
        "provenance": prov,
        "input": _input_entry(manifest, prov.get("uri")),
        "lang": row.get("lang"),
        "script": row.get("script"),
        "lang_score": row.get("lang_score"),
        "language_spans": _language_spans(annotations),
        "text_chars": len(text),
        "text": text if full_text else text[:PREVIEW_CHARS],
        "metadata": metadata,
        "stages": _decisions(row, annotations, _stage_order(manifest), recipe),
        "duplicates": _duplicates(out_dir, row, annotations, manifest),
        "errors": annotations.get("errors"),
        "run": {
            "run_id": manifest.get("run_id"),
            "document_run_id": prov.get("run_id"),
            "recipe_hash": manifest.get("recipe_hash"),
            "code": manifest.get("code"),
            "models": manifest.get("models"),
            "packages": manifest.get("packages"),
            "started": manifest.get("started"),
            "takedowns": len(manifest.get("takedowns", [])),
        },
    }
    if row.get("_index_stale"):
        result["index_stale"] = True
    if reproduce:
        result.update(reproduce_row(row, manifest))
    return result


def _input_entry(manifest: dict[str, Any], uri: str | None) -> dict[str, Any] | None:
    for entry in manifest.get("inputs", []):
        if entry.get("path") == uri:
            return entry
    return None


# --------------------------------------------------------------------------- reproduce
def _input_options(manifest: dict[str, Any], uri: str, source: str) -> tuple[str | None, dict[str, Any]]:
    """(kind, reader options) the run read `uri` with, from the manifest's inputs and recipe."""
    entry = _input_entry(manifest, uri) or {}
    kind = entry.get("kind")
    specs = (manifest.get("recipe") or {}).get("inputs") or []
    chosen = None
    for spec in specs:
        if (spec.get("source") or source) != source:
            continue
        if kind and spec.get("kind") and spec["kind"] != kind:
            continue
        chosen = spec
        if _path_matches(spec.get("path", ""), uri):
            break
    if chosen is None:
        return kind, {}
    if kind is None:
        kind = chosen.get("kind")
    return kind, {k: v for k, v in chosen.items() if k not in ("path", "source", "kind")}


def _path_matches(pattern: str, path: str) -> bool:
    import fnmatch

    if pattern == path:
        return True
    if os.path.isdir(pattern):
        return os.path.abspath(path).startswith(os.path.abspath(pattern).rstrip(os.sep) + os.sep)
    return fnmatch.fnmatch(path, pattern)


def reread_record(prov: dict[str, Any], kind: str, source: str, options: dict[str, Any],
                  metadata: dict[str, Any] | None = None) -> Doc | ReadError:
    """The raw record at the recorded offset, read alone, as a `Doc` with its payload undecoded."""
    from kazcorpus.sources.reread import reread

    opts = {**options, "source": source}
    if (metadata or {}).get("inner_offset"):
        opts["inner_offset"] = metadata["inner_offset"]
    item = reread(prov.get("uri"), kind, prov.get("offset"), record_id=prov.get("record_id"), options=opts)
    if isinstance(item, Doc):
        item.source = source
    return item


def _sentences(text: str) -> list[str]:
    """Text cut into short lines, so a one-character change gives a one-line diff."""
    out = []
    for line in text.splitlines():
        out.extend(s for s in re.split(r"(?<=[.!?…])\s+", line) if s)
    return out


def short_diff(released: str, reproduced: str, *, released_label: str = "released",
               reproduced_label: str = "reproduced") -> str:
    lines = list(difflib.unified_diff(_sentences(released), _sentences(reproduced), released_label,
                                      reproduced_label, n=1, lineterm=""))
    clipped = [ln if len(ln) <= MAX_DIFF_LINE_CHARS else ln[:MAX_DIFF_LINE_CHARS] + "…" for ln in lines]
    if len(clipped) > MAX_DIFF_LINES:
        clipped = clipped[:MAX_DIFF_LINES] + [f"... ({len(lines) - MAX_DIFF_LINES} more diff lines)"]
    return "\n".join(clipped)


def reproduce_row(row: dict[str, Any], manifest: dict[str, Any]) -> dict[str, Any]:
    """Re-read a document's raw record and re-run extraction; `reproduced` says whether the text hash
    recorded at ingest matches, `diff` shows the difference to the released text when it does not."""
    from kazcorpus.sources.html import ExtractConfig, ExtractOperator

    prov = row.get("provenance") or {}
    recipe = manifest.get("recipe") or {}
    out: dict[str, Any] = {"reproduced": False, "recorded_text_hash": prov.get("text_hash")}
    if not prov.get("uri"):
        out["reproduce_error"] = "no input file recorded in provenance"
        return out
    kind, options = _input_options(manifest, prov["uri"], row.get("source") or "")
    if kind is None:
        out["reproduce_error"] = f"the manifest does not say how {prov['uri']} was read (no kind)"
        return out
    item = reread_record(prov, kind, row.get("source") or "", options, _json(row.get("metadata")))
    if isinstance(item, ReadError):
        out["reproduce_error"] = f"{item.reason}: {item.detail}".strip(": ")
        return out
    if prov.get("record_id") and item.provenance.record_id and item.provenance.record_id != prov["record_id"]:
        out["reproduce_error"] = (f"record at offset {prov.get('offset')} is {item.provenance.record_id}, "
                                  f"expected {prov['record_id']}")
        return out
    extract = ExtractOperator(config=ExtractConfig(**(recipe.get("extract") or {})))
    extract.annotate(item)
    new_hash = text_hash(item.text)
    out["reproduced_text_hash"] = new_hash
    out["raw_digest_matches"] = (item.provenance.digest == prov.get("digest")
                                 if item.provenance.digest and prov.get("digest") else None)
    if prov.get("text_hash") is None:
        out["reproduce_error"] = "no text hash was recorded at ingest"
        return out
    out["reproduced"] = new_hash == prov["text_hash"]
    if not out["reproduced"]:
        annotations = _json(row.get("annotations"))
        comparable = item.text
        if "clean" in annotations and (recipe.get("clean") or {}).get("enabled", True):
            comparable = _cleaned(item, recipe)
        out["diff"] = short_diff(row.get("text") or "", comparable)
    return out


def _cleaned(doc: Doc, recipe: dict[str, Any]) -> str:
    try:
        from kazcorpus.filters.clean import CleanConfig, CleanOperator

        op = CleanOperator(config=CleanConfig(**recipe["clean"]))
        op.annotate(doc)
    except Exception as exc:  # noqa: BLE001 - the diff is a courtesy; the verdict is already known
        log.warning("could not re-run cleaning for the diff: %s", exc)
    return doc.text


# --------------------------------------------------------------------------- blocklist
_URL_SAFE = "/;:@&=+$,!~*'()-._%"


def normalise_url(url: str | None) -> str | None:
    """The form under which two spellings of one page compare equal: lower-case scheme and host,
    host in punycode, default port, user info and fragment dropped, empty path "/", path and query
    percent-encoded the same way whether the input had Cyrillic letters or escapes."""
    if not url or not url.strip():
        return None
    try:
        parts = urlsplit(url.strip())
        host, port = parts.hostname, parts.port
    except ValueError:
        return url.strip()
    scheme = parts.scheme.lower()
    if not scheme or not host:
        return url.strip()
    host = idna_host(host)
    netloc = host if port in (None, DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    path = quote(unquote(parts.path), safe=_URL_SAFE) or "/"
    query = quote(unquote(parts.query), safe=_URL_SAFE + "?")
    return urlunsplit((scheme, netloc, path, query, ""))


def domain_key(domain: str) -> str:
    """A domain as given on the command line ("Example.KZ", "https://example.kz/", "*.example.kz")."""
    text = domain.strip()
    if "://" in text:
        text = urlsplit(text).hostname or ""
    return idna_host(text.lstrip("*").lstrip(".").split("/")[0].split(":")[0])


def url_host(url: str | None) -> str | None:
    if not url:
        return None
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    return idna_host(host) if host else None


def host_in(host: str | None, domains: Container[str]) -> str | None:
    """The entry of `domains` that `host` is, or is a subdomain of."""
    if not host or not domains:
        return None
    labels = host.split(".")
    for i in range(len(labels)):
        suffix = ".".join(labels[i:])
        if suffix in domains:
            return suffix
    return None


BLOCK_KINDS = ("id", "url", "domain", "text_hash")


class Blocklist:
    """Takedown entries: document ids, normalised URLs, domains (with subdomains), extracted-text hashes."""

    def __init__(self, entries: Iterable[dict[str, Any]] = ()):
        self.entries: dict[str, dict[str, dict[str, Any]]] = {k: {} for k in BLOCK_KINDS}
        for e in entries:
            self.add(e)

    @staticmethod
    def key(kind: str, value: str) -> str:
        if kind == "url":
            return normalise_url(value) or value
        if kind == "domain":
            return domain_key(value)
        return value.strip().lower()

    def add(self, entry: dict[str, Any]) -> bool:
        """Add an entry; False when the same kind and value is there already."""
        kind = entry["kind"]
        if kind not in BLOCK_KINDS:
            raise ValueError(f"blocklist entry kind must be one of {', '.join(BLOCK_KINDS)}, got {kind!r}")
        k = self.key(kind, str(entry["value"]))
        if k in self.entries[kind]:
            return False
        self.entries[kind][k] = entry
        return True

    def __len__(self) -> int:
        return sum(len(v) for v in self.entries.values())

    @classmethod
    def read(cls, path: str) -> Blocklist:
        """Read a blocklist JSONL file.  Lines are `{"kind", "value", ...}`; hand-written
        `{"id": ...}`, `{"url": ...}` or `{"domain": ...}` lines work too; `#` starts a comment."""
        if not fs.exists(path):
            raise FileNotFoundError(f"blocklist file not found: {path}")
        bl = cls()
        for n, line in enumerate(fs.read_bytes(path).decode("utf-8").splitlines(), 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            try:
                obj = json.loads(line)
            except ValueError as exc:
                raise ValueError(f"{path} line {n}: not JSON: {exc}") from None
            if "kind" not in obj:
                given = [k for k in BLOCK_KINDS if k in obj]
                if len(given) != 1:
                    raise ValueError(f"{path} line {n}: needs \"kind\" and \"value\", or one of "
                                     f"{', '.join(BLOCK_KINDS)}")
                obj = {**obj, "kind": given[0], "value": obj[given[0]]}
            if "value" not in obj:
                raise ValueError(f"{path} line {n}: no \"value\"")
            bl.add(obj)
        return bl

    def match(self, doc: Doc) -> dict[str, Any] | None:
        """The entry that blocks `doc` (checked by id, URL, domain, then extracted-text hash)."""
        e = self.entries
        if doc.id in e["id"]:
            return e["id"][doc.id]
        nurl = normalise_url(doc.url)
        if nurl and nurl in e["url"]:
            return e["url"][nurl]
        dom = host_in(url_host(doc.url), e["domain"])
        if dom:
            return e["domain"][dom]
        th = doc.provenance.text_hash
        if th and doc.text and th in e["text_hash"]:
            return e["text_hash"][th]
        return None


class BlocklistOperator(BaseOperator):
    """Applies the takedown blocklist right after extraction: a listed document is dropped with
    reason `takedown` and its text removed (the released `rejected/` must not carry it either).

    A blocklist named in the recipe that cannot be read stops the run: silently ignoring it would
    bring taken-down content back.
    """

    stage = "blocklist"

    def __init__(self, *, path: str, keep_text: bool = False):
        self.path = path
        self.keep_text = keep_text

    def setup(self) -> None:
        self._blocklist = Blocklist.read(self.path)
        self._ready = True

    def annotate(self, doc: Doc) -> None:
        self.ensure_setup()
        hit = self._blocklist.match(doc)
        if hit is None:
            doc.annotations[self.stage] = {"match": None}
            return
        doc.annotations[self.stage] = {"match": {"kind": hit["kind"], "value": hit["value"],
                                                 "reason": hit.get("reason"), "time": hit.get("time")}}
        if not self.keep_text:
            doc.text = ""

    def decide(self, doc: Doc) -> str | None:
        return TAKEDOWN_REASON if (doc.annotations.get(self.stage) or {}).get("match") else None


def default_blocklist_path(out_dir: str) -> str:
    return str(Path(out_dir).resolve().parent / "blocklist.jsonl")


def append_blocklist(path: str, entries: list[dict[str, Any]]) -> int:
    """Append the entries not already present; returns how many were added."""
    existing = Blocklist.read(path) if os.path.exists(path) else Blocklist()
    new = [e for e in entries if existing.add(e)]
    if not new:
        return 0
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "a", encoding="utf-8") as f:
        for e in new:
            f.write(json.dumps(e, ensure_ascii=False, sort_keys=True) + "\n")
        f.flush()
        os.fsync(f.fileno())
    return len(new)


# --------------------------------------------------------------------------- forget
def _duplicate_links(annotations: str | None) -> list[str]:
    ann = _json(annotations)
    reps = []
    for stage in DUPLICATE_STAGES:
        v = ann.get(stage)
        if isinstance(v, dict) and v.get("duplicate_of"):
            reps.append(v["duplicate_of"])
    return reps


def expand_duplicates(docs: dict[str, dict[str, Any]], seeds: dict[str, str]) -> dict[str, str]:
    """The seeds plus every document sharing text with one of them, transitively: the same
    `minhash_cluster`, a `duplicate_of` pointing at it, or the representative it points at.

    `docs` maps id -> {"cluster", "duplicate_of": [ids]}; `seeds` and the result map id -> why.
    """
    by_cluster: dict[str, list[str]] = defaultdict(list)
    dups_of: dict[str, list[str]] = defaultdict(list)
    for doc_id, d in docs.items():
        if d.get("cluster"):
            by_cluster[d["cluster"]].append(doc_id)
        for rep in d.get("duplicate_of") or ():
            dups_of[rep].append(doc_id)
    found = dict(seeds)
    todo = list(seeds)
    while todo:
        cur = todo.pop()
        d = docs.get(cur, {})
        linked: list[tuple[str, str]] = []
        if d.get("cluster"):
            linked += [(o, f"near-duplicate cluster {d['cluster']} of {cur}") for o in by_cluster[d["cluster"]]]
        linked += [(o, f"duplicate of {cur}") for o in dups_of.get(cur, ())]
        linked += [(o, f"representative of duplicate {cur}") for o in d.get("duplicate_of") or ()]
        for other, why in linked:
            if other not in found and other in docs:
                found[other] = why
                todo.append(other)
    return found


def _scan(out_dir: str, manifest: dict[str, Any]) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """Light columns of every document: id -> facts, and id -> shard."""
    docs: dict[str, dict[str, Any]] = {}
    where: dict[str, str] = {}
    for rel in _release_shards(manifest):
        with fs.open_read(fs.join(out_dir, rel)) as f:
            pf = pq.ParquetFile(f)
            cols = [c for c in ("id", "url", "minhash_cluster", "annotations", "rejected_by", "provenance")
                    if c in pf.schema_arrow.names]
            table = pf.read(columns=cols)
        # Only annotations that name a representative need parsing (a small share of a release).
        if "annotations" in cols:
            has_dup = pc.fill_null(pc.match_substring(table["annotations"], '"duplicate_of"'), False)
            table = table.set_column(cols.index("annotations"), "annotations",
                                     pc.if_else(has_dup, table["annotations"], pa.scalar(None, pa.string())))
        for r in table.to_pylist():
            docs[r["id"]] = {
                "url": r.get("url"),
                "cluster": r.get("minhash_cluster"),
                "duplicate_of": _duplicate_links(r.get("annotations")),
                "rejected_by": r.get("rejected_by"),
                "text_hash": (r.get("provenance") or {}).get("text_hash"),
            }
            where[r["id"]] = rel
    return docs, where


def _parquet_bytes(table: pa.Table) -> bytes:
    from kazcorpus.pipeline.shards import table_bytes

    return table_bytes(table)


def _entry(rel: str, rows: int | None, data: bytes) -> dict[str, Any]:
    return {"path": rel, "rows": rows, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def _write(root: str, rel: str, data: bytes) -> None:
    fs.write_bytes(os.path.join(root, rel), data)


def _takedown_schema(tables: list[pa.Table]) -> pa.Schema:
    schema = REJECTED_SCHEMA
    for t in tables:
        for f in t.schema:
            if f.name not in schema.names:
                schema = schema.append(f)
    return schema


def _link_or_copy(src: str, dst: str) -> None:
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def _release_stats(root: str, outputs: list[dict[str, Any]]) -> dict[str, Any]:
    """The dataset card's tables, recounted from the shards of a release."""
    by_lang: dict[tuple[str, str], list[int]] = {}
    by_source: dict[str, dict[str, Any]] = {}
    kept = rejected = 0
    for e in outputs:
        rel = e["path"]
        is_data = rel.startswith(shards.DATA_DIR + "/")
        if not (is_data or rel.startswith(shards.REJECTED_DIR + "/")):
            continue
        cols = ["source", "lang", "script"] + (["text"] if is_data else ["reason"])
        t = pq.read_table(os.path.join(root, rel), columns=cols)
        lengths = pc.utf8_length(t["text"]).to_pylist() if is_data else None
        for i, r in enumerate(t.select(["source", "lang", "script"] + ([] if is_data else ["reason"])).to_pylist()):
            s = by_source.setdefault(r["source"], {"read": 0, "kept": 0, "reasons": Counter()})
            s["read"] += 1
            if is_data:
                kept += 1
                s["kept"] += 1
                key = (r["lang"] or "und", r["script"] or "Zyyy")
                cur = by_lang.setdefault(key, [0, 0])
                cur[0] += 1
                cur[1] += lengths[i] or 0
            else:
                rejected += 1
                s["reasons"][r["reason"]] += 1
    return {"kept": kept, "rejected": rejected, "by_lang": by_lang, "by_source": by_source}


def _takedown_card(takedowns: list[dict[str, Any]]) -> str:
    lines = ["## Takedowns", "",
             "Documents removed on request are in `rejected/` with `rejected_by` and `reason` `takedown`",
             "(text removed); later runs keep them out through the recipe's `blocklist`.", "",
             "| # | time | ids | urls | domains | reason | documents removed |", "|---:|---|---:|---:|---|---|---:|"]
    for i, t in enumerate(takedowns, 1):
        lines.append(f"| {i} | {t['time']} | {len(t['ids'])} | {len(t['urls'])} | "
                     f"{', '.join(t['domains']) or '-'} | {t['reason']} | {t['count']} |")
    return "\n".join(lines) + "\n"


def forget(out_dir: str, *, ids: Iterable[str] = (), urls: Iterable[str] = (), domains: Iterable[str] = (),
           reason: str = "takedown request", blocklist: str | None = None, new_output: str | None = None,
           keep_text: bool = False) -> dict[str, Any]:
    """Write a new release without the matching documents and their duplicates; see the module doc.

    Returns a summary of what was removed.  `new_output` None means replacing `out_dir` itself.
    """
    if fs.is_remote(out_dir) or (new_output and fs.is_remote(new_output)):
        raise AuditError("forget works on a local release folder; copy the release locally first")
    ids = sorted({i.strip().lower() for i in ids if i.strip()})
    urls = sorted({u.strip() for u in urls if u.strip()})
    domains = sorted({domain_key(d) for d in domains if d.strip()})
    if not (ids or urls or domains):
        raise AuditError("forget needs at least one id, url or domain")
    out_dir = os.path.abspath(out_dir)
    target = os.path.abspath(new_output) if new_output else out_dir
    if target != out_dir and os.path.exists(target) and os.listdir(target):
        raise AuditError(f"new output folder {target} exists and is not empty")
    problems = shards.verify(out_dir)
    if problems:
        raise AuditError(f"{out_dir} fails verify ({len(problems)} problems, first: {problems[0]}); "
                         "a takedown would record those changes as valid")
    manifest = load_manifest(out_dir)
    now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    old_manifest_sha = hashlib.sha256(fs.read_bytes(os.path.join(out_dir, "manifest.json"))).hexdigest()
    request_no = len(manifest.get("takedowns", [])) + 1

    # 1. What to remove: the named documents, then everything sharing their text.
    docs, where = _scan(out_dir, manifest)
    id_set, url_set, dom_set = set(ids), {normalise_url(u) for u in urls}, set(domains)
    seeds: dict[str, str] = {}
    seen_urls: set[str] = set()
    seen_domains: set[str] = set()
    for doc_id, d in docs.items():
        nurl = normalise_url(d["url"])
        dom = host_in(url_host(d["url"]), dom_set)
        if doc_id in id_set:
            seeds[doc_id] = "id"
        elif nurl and nurl in url_set:
            seeds[doc_id] = "url"
            seen_urls.add(nurl)
        elif dom:
            seeds[doc_id] = f"domain {dom}"
            seen_domains.add(dom)
        if nurl in url_set:
            seen_urls.add(nurl)
        if dom:
            seen_domains.add(dom)
    matched = expand_duplicates(docs, seeds)
    already = sorted(i for i in matched if docs[i]["rejected_by"] == TAKEDOWN_STAGE)
    remove = {i: why for i, why in matched.items() if docs[i]["rejected_by"] != TAKEDOWN_STAGE}

    # 2. Record the request in the blocklist before touching the release: if anything below fails,
    #    the next run still keeps these documents out.
    bl_path = blocklist or default_blocklist_path(out_dir)
    base = {"reason": reason, "time": now, "release": target, "run_id": manifest.get("run_id")}
    bl_entries = [{**base, "kind": "id", "value": i} for i in ids]
    bl_entries += [{**base, "kind": "url", "value": u} for u in urls]
    bl_entries += [{**base, "kind": "domain", "value": d} for d in domains]
    for i, why in sorted(matched.items()):
        if why != "id":
            bl_entries.append({**base, "kind": "id", "value": i, "via": why})
    empty_hash = text_hash("")
    for i in sorted(matched):
        th = docs[i]["text_hash"]
        if th and th != empty_hash:
            bl_entries.append({**base, "kind": "text_hash", "value": th, "via": f"text of {i}"})
    added = append_blocklist(bl_path, bl_entries)

    # 3. Build the new release next to the target, then swap it in.
    tmp = f"{target}.forget-{uuid.uuid4().hex[:8]}"
    os.makedirs(tmp)
    try:
        summary = _build_release(out_dir, tmp, manifest, where, remove, request_no=request_no, now=now,
                                 reason=reason, keep_text=keep_text)
        takedown = {"time": now, "ids": ids, "urls": urls, "domains": domains, "reason": reason,
                    "count": len(remove), "from_data": summary["from_data"],
                    "from_rejected": summary["from_rejected"], "shard": summary["shards"],
                    "blocklist": bl_path, "previous_manifest_sha256": old_manifest_sha}
        _finish_manifest(tmp, manifest, takedown, summary, now)
        problems = shards.verify(tmp)
        if problems:
            raise AuditError(f"the new release fails verify: {problems[0]}")
        _swap(tmp, target)
    finally:
        if os.path.exists(tmp):
            shutil.rmtree(tmp, ignore_errors=True)
    listed = sorted(remove.items())
    return {
        "release": target,
        "request": {"ids": ids, "urls": urls, "domains": domains, "reason": reason, "time": now},
        "forgotten": len(remove),
        "from_data": summary["from_data"],
        "from_rejected": summary["from_rejected"],
        "already_forgotten": len(already),
        "not_found": {"ids": [i for i in ids if i not in docs],
                      "urls": [u for u in urls if normalise_url(u) not in seen_urls],
                      "domains": [d for d in domains if d not in seen_domains]},
        "documents": [{"id": i, "url": docs[i]["url"], "was": where[i].split("/")[0], "why": why}
                      for i, why in listed[:MAX_LISTED_DOCS]],
        "documents_listed": min(len(listed), MAX_LISTED_DOCS),
        "shards_rewritten": summary["rewritten"],
        "blocklist": bl_path,
        "blocklist_added": added,
    }


def _build_release(src: str, dst: str, manifest: dict[str, Any], where: dict[str, str], remove: dict[str, str], *,
                   request_no: int, now: str, reason: str, keep_text: bool) -> dict[str, Any]:
    """Write the new release into `dst`: unchanged files hard-linked, affected shards rewritten
    without the removed rows, the removed rows in `rejected/takedown-NNNN-*.parquet`, the index
    buckets of every moved row rewritten."""
    affected = sorted({where[i] for i in remove})
    chars = shards.release_index_chars(manifest)
    outputs = {e["path"]: e for e in manifest.get("outputs", [])}
    remove_ids = pa.array(sorted(remove), type=pa.string())
    moved: list[pa.Table] = []
    new_rows: dict[str, list[tuple[str, str, int]]] = defaultdict(list)  # bucket -> (id, shard, row)
    touched_ids: set[str] = set()
    rewritten = []
    from_data = from_rejected = 0
    for rel in affected:
        table = pq.read_table(os.path.join(src, rel))
        touched_ids.update(table["id"].to_pylist())
        gone = pc.is_in(table["id"], value_set=remove_ids)
        taken = table.filter(gone)
        kept = table.filter(pc.invert(gone))
        n = taken.num_rows
        if rel.startswith(shards.DATA_DIR + "/"):
            from_data += n
        else:
            from_rejected += n
        moved.append(taken.append_column("_from", pa.array([rel] * n, type=pa.string())))
        del outputs[rel]
        if kept.num_rows:
            data = _parquet_bytes(kept)
            _write(dst, rel, data)
            outputs[rel] = _entry(rel, kept.num_rows, data)
            for row, doc_id in enumerate(kept["id"].to_pylist()):
                new_rows[shards.index_bucket(doc_id, chars)].append((doc_id, rel, row))
        rewritten.append(rel)

    # The removed rows, in one deterministic order, with their earlier decision kept for trace.
    rows = []
    for t in moved:
        rows.extend(t.to_pylist())
    rows.sort(key=lambda r: r["id"])
    for r in rows:
        ann = _json(r.get("annotations"))
        ann[TAKEDOWN_STAGE] = {
            "request": request_no, "request_reason": reason, "time": now, "matched": remove[r["id"]],
            "previous": {"shard": r.pop("_from"), "rejected_by": r.get("rejected_by"), "reason": r.get("reason")},
        }
        r["annotations"] = json.dumps(ann, ensure_ascii=False, sort_keys=True)
        r["rejected_by"], r["reason"] = TAKEDOWN_STAGE, TAKEDOWN_REASON
        if not keep_text:
            r["text"] = ""
    schema = _takedown_schema([t.drop_columns(["_from"]) for t in moved])
    max_rows = ((manifest.get("recipe") or {}).get("shards") or {}).get("max_rows") or 10_000
    new_shards = []
    for n, start in enumerate(range(0, len(rows), max_rows)):
        chunk = rows[start:start + max_rows]
        rel = f"{shards.REJECTED_DIR}/{TAKEDOWN_STAGE}-{request_no:04d}-{n:04d}.parquet"
        data = _parquet_bytes(pa.Table.from_pylist(chunk, schema=schema))
        _write(dst, rel, data)
        outputs[rel] = _entry(rel, len(chunk), data)
        new_shards.append(rel)
        for row, r in enumerate(chunk):
            new_rows[shards.index_bucket(r["id"], chars)].append((r["id"], rel, row))

    # Index buckets: every id of a rewritten shard may have a new row number.
    new_index = []
    for bucket in sorted({shards.index_bucket(i, chars) for i in touched_ids}):
        rel = f"{shards.INDEX_DIR}/{bucket}.parquet"
        new_index.append(rel)
        old = pq.read_table(os.path.join(src, rel)).to_pylist() if os.path.exists(os.path.join(src, rel)) else []
        rows_b = [(r["id"], r["shard"], r["row"]) for r in old if r["id"] not in touched_ids]
        rows_b += new_rows.get(bucket, [])
        outputs[rel] = shards.write_index_bucket(dst, bucket, rows_b)

    # Everything else comes over unchanged (hard links: no copy of a large release).  The run's
    # scratch `_work/` is left behind: its checkpoints hold copies of the forgotten documents.
    written = set(rewritten) | set(new_shards) | set(new_index)
    for dirpath, dirnames, filenames in os.walk(src):
        rel_dir = os.path.relpath(dirpath, src)
        if rel_dir == ".":
            dirnames[:] = [d for d in dirnames if d != shards.WORK_DIR]
        for name in filenames:
            rel = name if rel_dir == "." else f"{rel_dir.replace(os.sep, '/')}/{name}"
            if rel in written or rel in ("manifest.json", "README.md") or ".tmp-" in name:
                continue
            if not os.path.exists(os.path.join(dst, rel)):
                _link_or_copy(os.path.join(src, rel), os.path.join(dst, rel))
    return {"outputs": outputs, "rewritten": rewritten, "shards": new_shards,
            "from_data": from_data, "from_rejected": from_rejected}


def _finish_manifest(dst: str, manifest: dict[str, Any], takedown: dict[str, Any], summary: dict[str, Any],
                     now: str) -> None:
    manifest = dict(manifest)
    manifest["takedowns"] = list(manifest.get("takedowns", [])) + [takedown]
    manifest["modified"] = now
    funnel = [dict(f) for f in manifest.get("funnel", []) if f["stage"] != TAKEDOWN_STAGE]
    total_from_data = sum(t["from_data"] for t in manifest["takedowns"])
    if funnel:
        last = funnel[-1]["out"]
        funnel.append({"stage": TAKEDOWN_STAGE, "in": last, "out": last - total_from_data,
                       "dropped": {TAKEDOWN_REASON: total_from_data} if total_from_data else {}})
    manifest["funnel"] = funnel
    outputs = {p: e for p, e in summary["outputs"].items() if p != "README.md"}
    stats = _release_stats(dst, list(outputs.values()))
    manifest["counts"] = {**manifest.get("counts", {}), "kept": stats["kept"], "rejected": stats["rejected"]}
    card = shards.dataset_card(manifest, stats) + "\n" + _takedown_card(manifest["takedowns"])
    data = card.encode()
    _write(dst, "README.md", data)
    manifest["outputs"] = sorted(outputs.values(), key=lambda e: e["path"]) + [_entry("README.md", None, data)]
    shards.write_manifest(dst, manifest)


def _swap(tmp: str, target: str) -> None:
    """Put the finished release at `target`; an existing folder is moved aside, then deleted."""
    if not os.path.exists(target):
        os.rename(tmp, target)
        return
    old = f"{target}.old-{uuid.uuid4().hex[:8]}"
    os.rename(target, old)
    try:
        os.rename(tmp, target)
    except OSError:
        os.rename(old, target)
        raise
    shutil.rmtree(old, ignore_errors=True)


__all__ = [
    "AuditError", "Blocklist", "BlocklistOperator", "append_blocklist", "default_blocklist_path",
    "expand_duplicates", "forget", "load_manifest", "lookup", "normalise_url", "read_row", "reproduce_row",
    "short_diff", "trace",
]
