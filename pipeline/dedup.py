"""Deduplication stages over many documents: exact (hash of normalised text) and near (MinHash LSH).

Both compare documents through one normal form (`normalize`): NFC, Kazakh in Latin or Arabic script
transliterated to Cyrillic, lookalike letters of the wrong script repaired, Turkic lower-casing,
punctuation and whitespace folded.  So a page and its copy in another script or with a different
keyboard layout are the same text to dedup.

Exact dedup keys documents by a 128-bit xxhash of that form (grouped in `graph.ExactDedup`).
Near dedup (`NearDedup`) signs documents with MinHash (`pipeline/minhash.py`, CPU or GPU, the same
bits), groups them by LSH band key with a `GroupByKey`, turns buckets into candidate edges, and
finds connected components.  In each component one representative is kept by a deterministic rule
(`representative_order`); the others are rejected `near_duplicate` with the representative's id.
Every document gets `minhash_cluster` and `cluster_size`: a document with no near-duplicate is its
own cluster (`minhash_cluster` = its own id, `cluster_size` = 1), so up-sampling by cluster size
(FineWeb-2) needs no special case.

Incremental dedup: every run writes its dedup index (exact keys and band keys of the documents it
kept, with their ids) to `OUT/dedup/index-NNN.parquet`; `dedup.against: [earlier output folders]`
reads those indexes into the same grouping, where an earlier document always wins, so documents
that duplicate an earlier release are rejected `duplicate_of_earlier_release`.

Clustering runs in one worker over the candidate edges only (documents without any LSH collision
never reach it), with a union-find.  That is the scaling choice: edges are few next to documents,
and a union-find over them is exact and deterministic.  See `connected_components` for the limit.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable
from typing import Any, Literal

import xxhash
from pydantic import BaseModel, ConfigDict, Field

from kazcorpus.pipeline.record import Doc
from kazcorpus.pipeline.textnorm import kazakh_mode, normalize, normalize_batch

__all__ = ["normalize", "normalize_batch", "kazakh_mode", "exact_key", "url_key", "DedupConfig", "NearDedup",
           "UrlDedup", "representative_order"]

try:  # Beam is a dependency of the pipeline; the pure functions here also serve notebooks.
    import apache_beam as beam

    _PTransform = beam.PTransform
    _DoFn = beam.DoFn
except ImportError:  # pragma: no cover
    beam = None
    _PTransform = object
    _DoFn = object


class BoilerplateConfig(BaseModel):
    """Lines that recur across many pages of one host (menus, footers, banners) are removed."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    min_docs: int = Field(3, ge=2)  # a line must recur on at least this many pages of the host
    min_share: float = Field(0.3, gt=0.0, le=1.0)  # ... and on at least this share of them
    min_chars: int = Field(1, ge=1)  # shorter lines are never counted (kept as they are)


class DedupConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    exact: bool = True
    exact_url: bool = False  # also drop a second document with the same normalised URL
    minhash: bool = True
    backend: Literal["cpu", "gpu", "auto"] = "cpu"
    # 3-word shingles, 20 bands x 5 rows: chosen by benchmarks/dedup_quality.py (see README).
    ngram: int = Field(3, ge=1, le=16)
    bands: int = Field(20, ge=1, le=512)
    rows: int = Field(5, ge=1, le=64)
    seed: int = Field(1, ge=0)
    # A candidate pair (shared band) becomes an edge only if its estimated Jaccard similarity of
    # shingles reaches this; chance collisions of documents sharing a few sentences are dropped.
    min_similarity: float = Field(0.5, ge=0.0, le=1.0)
    batch_size: int = Field(512, ge=1)  # documents signed at once (GPU: raise to a few thousand)
    against: list[str] = Field(default_factory=list)  # earlier output folders (incremental dedup)
    boilerplate: BoilerplateConfig = BoilerplateConfig()

    @property
    def num_perm(self) -> int:
        return self.bands * self.rows


# ------------------------------------------------------------------------------------ normal form
# `normalize` lives in textnorm.py (batch-vectorised); it is re-exported here, where dedup uses it.


def doc_normal_forms(docs: Iterable[Doc]) -> list[str]:
    """Normal forms of documents, each read as Kazakh or not by its language (`doc.lang`)."""
    docs = list(docs)
    return normalize_batch([d.text for d in docs], [kazakh_mode(d.lang) for d in docs])


def exact_key(doc: Doc) -> str:
    """128-bit xxhash (hex) of the normal form: equal for copies in any case, and for Kazakh
    copies in any script."""
    return xxhash.xxh3_128_hexdigest(normalize(doc.text, kazakh=kazakh_mode(doc.lang)).encode("utf-8"))


def url_key(doc: Doc) -> str | None:
    """Normalised URL (scheme, `www.`, fragment and trailing slash dropped, host lower-cased)."""
    if not doc.url:
        return None
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(doc.url.strip())
    except ValueError:
        return doc.url.strip()
    host = (parts.hostname or "").lower().removeprefix("www.")
    path = parts.path.rstrip("/") or "/"
    return f"{host}{path}" + (f"?{parts.query}" if parts.query else "")


def quality_score(doc: Doc) -> float:
    """The quality stage's overall score, where it gives one (`annotations.quality.score`), else 0."""
    q = doc.annotations.get("quality")
    if isinstance(q, dict):
        s = q.get("score")
        if isinstance(s, (int, float)) and not isinstance(s, bool):
            return float(s)
    return 0.0


def representative_order(doc: Doc) -> tuple:
    """Sort key: the first document of a duplicate group (exact or near) is kept.

    Highest quality score first, then the oldest record, then the longer text (more of the page
    survived extraction), then the id, which makes the choice total and runner-independent.
    """
    return (-quality_score(doc), doc.provenance.date or "9999", -len(doc.text), doc.id)


# ----------------------------------------------------------------------------------- index on disk

INDEX_DIR = "dedup"
INDEX_BUCKETS = 16
EXACT, BAND = b"x", b"b"


def index_bucket(key: bytes) -> int:
    return xxhash.xxh3_64_intdigest(key) % INDEX_BUCKETS


def _index_schema():
    import pyarrow as pa

    return pa.schema([("key", pa.binary()), ("id", pa.string())])


def write_index_bucket(out_dir: str, bucket: int, rows: Iterable[tuple[bytes, str]]) -> dict[str, Any]:
    """`dedup/index-NNN.parquet`: (key, id) rows sorted, so a re-run writes the same bytes.

    `key` is b"x" + the 16-byte exact hash, or b"b" + band number (2 bytes) + the band's rows.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    from kazcorpus.pipeline import fs

    rows = sorted(set(rows))
    table = pa.Table.from_pylist([{"key": k, "id": i} for k, i in rows], schema=_index_schema())
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="zstd")
    data = buf.getvalue()
    rel = f"{INDEX_DIR}/index-{bucket:03d}.parquet"
    fs.atomic_write(fs.join(out_dir, rel), lambda f: f.write(data))
    return {"path": rel, "rows": len(rows), "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def index_files(folder: str) -> list[str]:
    """The dedup index files of an earlier output folder (error if it has none)."""
    from apache_beam.io.filesystems import FileSystems

    from kazcorpus.pipeline import fs

    pattern = fs.join(folder, INDEX_DIR, "index-*.parquet")
    found = sorted(m.path for r in FileSystems.match([pattern]) for m in r.metadata_list)
    if not found:
        raise FileNotFoundError(
            f"dedup.against: {folder} has no dedup index ({INDEX_DIR}/index-*.parquet); "
            "name an output folder of a kazcorpus run made with dedup enabled"
        )
    return found


def read_index_file(path: str, *, against: bool = True):
    """(key, member) pairs of an earlier release's index, members ranked before this run's."""
    import pyarrow.parquet as pq

    from kazcorpus.pipeline import fs

    with fs.open_read(path) as f:
        table = pq.read_table(f)
    for key, doc_id in zip(table.column("key").to_pylist(), table.column("id").to_pylist(), strict=True):
        yield key, _earlier_member(doc_id)


# --------------------------------------------------------------------------------------- clustering
# A member of a key group is (rank, id, earlier, sketch); an edge joins two (rank, id, earlier).  Earlier releases rank first (0, ...), so their
# document is the representative of any cluster it is in; this run's documents rank by
# representative_order.


def _earlier_member(doc_id: str) -> tuple:
    return ((0, doc_id), doc_id, True, None)


def _current_member(doc: Doc, sketch: bytes | None = None) -> tuple:
    return ((1, *representative_order(doc)), doc.id, False, sketch)


def bucket_edges(kv, min_similarity: float = 0.0) -> Iterable[tuple[tuple, tuple]]:
    """A key group -> edges joining each member to the best-ranked earlier member that is similar
    enough (estimated from the members' sketches; always, for a member without a sketch, such as
    an earlier release's).  A group whose members are all from earlier releases gives nothing."""
    from kazcorpus.pipeline.minhash import sketch_similarity

    _, members = kv
    members = sorted(set(members))
    if len(members) < 2 or all(m[2] for m in members):
        return
    for i in range(1, len(members)):
        m = members[i]
        for head in members[:i]:
            if (min_similarity <= 0 or head[3] is None or m[3] is None
                    or sketch_similarity(head[3], m[3]) >= min_similarity):
                yield head[:3], m[:3]
                break


def connected_components(edges: Iterable[tuple[tuple, tuple]]) -> Iterable[tuple[str, dict[str, Any]]]:
    """Union-find over candidate edges -> (doc id, assignment) for this run's clustered documents.

    Runs in one worker: memory is about 250 bytes per document that has at least one candidate
    edge (measured by benchmarks/dedup_speed.py), so a machine with 64 GB clusters inputs up to
    roughly 200 million near-duplicate documents; documents without any collision never get here.
    The result depends only on the set of edges, never on their order.
    """
    index: dict[str, int] = {}
    members: list[tuple] = []
    parent: list[int] = []

    def node(m: tuple) -> int:
        i = index.get(m[1])
        if i is None:
            i = index[m[1]] = len(parent)
            parent.append(i)
            members.append(m)
        return i

    def find(i: int) -> int:
        root = i
        while parent[root] != root:
            root = parent[root]
        while parent[i] != root:
            parent[i], i = root, parent[i]
        return root

    for a, b in edges:
        ra, rb = find(node(a)), find(node(b))
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    comps: dict[int, list[int]] = {}
    for i in range(len(parent)):
        comps.setdefault(find(i), []).append(i)
    for nodes in comps.values():
        group = sorted(members[i] for i in nodes)
        rep = group[0]
        current = [m for m in group if not m[2]]
        for m in current:
            yield m[1], {"cluster": rep[1], "size": len(current), "earlier": rep[2]}


class EdgeSet(beam.CombineFn if beam else object):
    """All distinct candidate edges in one set.  The same pair meets in several bands; as a combiner
    it drops those repeats on each worker before anything is sent to the clustering worker (one
    shuffle fewer than a Distinct followed by a ToList)."""

    def create_accumulator(self):
        return set()

    def add_input(self, acc, edge):
        acc.add(edge)
        return acc

    def merge_accumulators(self, accs):
        accs = iter(accs)
        out = next(accs)
        for a in accs:
            out |= a
        return out

    def extract_output(self, acc):
        return acc


def cluster_labels(signatures, hasher, *, min_similarity: float = 0.0, ids: list[str] | None = None) -> list[str]:
    """In memory, without Beam: the cluster (representative id) of each signature row, by the same
    banding, sketch check and union-find as `NearDedup`, rows ranked by position (benchmarks and
    the backend identity checks use it)."""
    from kazcorpus.pipeline.minhash import sketch

    ids = ids if ids is not None else [f"{i:012d}" for i in range(len(signatures))]
    buckets: dict[bytes, list[tuple]] = {}
    for i, sig in enumerate(signatures):
        member = ((1, i), ids[i], False, sketch(sig))
        for k in hasher.band_keys(sig):
            buckets.setdefault(k, []).append(member)
    edges = {e for kv in buckets.items() for e in bucket_edges(kv, min_similarity)}
    assigned = dict(connected_components(edges))
    return [assigned[d]["cluster"] if d in assigned else d for d in ids]


def apply_assignment(kv, *, write_index: bool):
    """Join of one id: its document, its keys and its cluster assignment (if any)."""
    _, grouped = kv
    docs = list(grouped["doc"])
    assigned = list(grouped["cluster"])
    for doc, keys in docs:
        if assigned:
            a = assigned[0]
            doc.minhash_cluster = a["cluster"]
            doc.cluster_size = a["size"]
            if a["cluster"] != doc.id:
                doc.annotations["near_dedup"] = {"duplicate_of": a["cluster"], "cluster_size": a["size"]}
                doc.drop("near_dedup", "duplicate_of_earlier_release" if a["earlier"] else "near_duplicate")
            else:
                doc.annotations["near_dedup"] = {"cluster_size": a["size"]}
        else:
            doc.minhash_cluster = doc.id
            doc.cluster_size = 1
        yield doc
        if write_index and not doc.rejected:
            for k in keys:
                yield beam.pvalue.TaggedOutput("index", (index_bucket(k), (k, doc.id)))


class SignBatch(_DoFn):
    """A batch of documents -> (id, (doc, keys)) and (key, member) for every exact and band key."""

    def __init__(self, config: DedupConfig):
        self.config = config
        self.hasher = None

    def setup(self):
        from kazcorpus.pipeline.minhash import MinHasher

        c = self.config
        self.hasher = MinHasher(ngram=c.ngram, bands=c.bands, rows=c.rows, seed=c.seed, backend=c.backend)

    def process(self, batch: list[Doc]):
        from kazcorpus.pipeline.minhash import sketch

        c = self.config
        norms = doc_normal_forms(batch)
        sigs = self.hasher.signatures(norms) if c.minhash else None
        for i, doc in enumerate(batch):
            keys: list[bytes] = []
            # A text without words has no keys: it is nobody's duplicate.
            if (c.exact or c.against) and norms[i]:
                keys.append(EXACT + xxhash.xxh3_128_digest(norms[i].encode("utf-8")))
            if sigs is not None:
                keys.extend(BAND + k for k in self.hasher.band_keys(sigs[i]))
            member = _current_member(doc, sketch(sigs[i]) if sigs is not None else None)
            for k in keys:
                yield beam.pvalue.TaggedOutput("keys", (k, member))
            yield doc.id, (doc, keys)


class NearDedup(_PTransform):
    """Near-duplicate removal with MinHash LSH, and dedup against earlier releases.

    Input: the documents still kept after exact dedup.  Output: all of them, with `minhash_cluster`
    and `cluster_size` set; non-representatives rejected by stage `near_dedup`.  After `expand`,
    `self.index_entries` is a PCollection of the written index files ({path, rows, bytes, sha256},
    paths relative to `out_dir`) for the manifest.
    """

    def __init__(self, config: DedupConfig, *, out_dir: str, work_dir: str | None = None,
                 write_index: bool = True):
        super().__init__()
        self.config = config
        self.out_dir = out_dir
        self.work_dir = work_dir
        self.write_index = write_index
        self.index_entries = None

    def expand(self, docs):
        c = self.config
        earlier_files = [f for folder in c.against for f in index_files(folder)]
        signed = (
            docs
            | "BatchForSignatures" >> beam.BatchElements(min_batch_size=min(64, c.batch_size),
                                                          max_batch_size=c.batch_size)
            | "Sign" >> beam.ParDo(SignBatch(c)).with_outputs("keys", main="docs")
        )
        keys = signed.keys
        if earlier_files:
            earlier = (
                docs.pipeline
                | "ListEarlierIndex" >> beam.Create(earlier_files)
                | "ReadEarlierIndex" >> beam.FlatMap(read_index_file)
            )
            keys = (keys, earlier) | "WithEarlier" >> beam.Flatten()
        assignments = (
            keys
            | "GroupByBandKey" >> beam.GroupByKey()
            | "CandidateEdges" >> beam.FlatMap(bucket_edges, c.min_similarity)
            | "CollectEdges" >> beam.CombineGlobally(EdgeSet())
            | "ConnectedComponents" >> beam.FlatMap(connected_components)
        )
        joined = (
            {"doc": signed.docs, "cluster": assignments}
            | "JoinClusters" >> beam.CoGroupByKey()
            | "MarkDuplicates" >> beam.FlatMap(apply_assignment, write_index=self.write_index)
            .with_outputs("index", main="docs")
        )
        if self.write_index:
            out_dir = self.out_dir
            self.index_entries = (
                joined.index
                | "GroupIndexRows" >> beam.GroupByKey()
                | "WriteDedupIndex" >> beam.Map(lambda kv: write_index_bucket(out_dir, kv[0], kv[1]))
            )
        return joined.docs


class UrlDedup(_PTransform):
    """Keep one document per normalised URL (`dedup.exact_url`); the others are rejected
    `duplicate_url` with the kept one's id.  Documents without a URL pass through."""

    def expand(self, docs):
        with_url = docs | "HasUrl" >> beam.Filter(lambda d: url_key(d) is not None)
        no_url = docs | "NoUrl" >> beam.Filter(lambda d: url_key(d) is None)
        deduped = (
            with_url
            | "KeyByUrl" >> beam.Map(lambda d: (url_key(d), d))
            | "GroupByUrl" >> beam.GroupByKey()
            | "KeepFirstUrl" >> beam.FlatMap(_keep_first_url)
        )
        return (deduped, no_url) | "AllUrlDocs" >> beam.Flatten()


def _keep_first_url(kv):
    _, group = kv
    group = sorted(group, key=representative_order)
    yield group[0]
    for d in group[1:]:
        d.annotations["exact_dedup"] = {"duplicate_of": group[0].id, "by": "url"}
        yield d.drop("exact_dedup", "duplicate_url")
