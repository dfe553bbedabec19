"""The Apache Beam graph: inputs -> records -> per-document stages -> dedup -> shards, and the run driver.

Shape of the graph (every transform labelled):

    ListInputs -> SpreadFiles (Reshuffle) -> PlanUnits (byte ranges, input sha256)
      -> SpreadUnits (Reshuffle) -> ProcessUnits (read + extract + clean, checkpointed)
      -> HostBoilerplate (line counts per host, joined back to the pages) -> SpreadDocs (Reshuffle)
      -> MeasureDocs (boilerplate lines removed, then LID, quality, toxicity, PII)
      -> ExactDedup -> NearDedup -> WriteShards (GroupByKey per input range; manifest counts)
      -> WriteIndex (GroupByKey per id prefix)
      -> Summary (one small JSON the driver turns into manifest.json and README.md)

Documents cross every Flatten, Reshuffle and GroupByKey packed (`record.pack`): Beam's local runner
decodes and re-encodes each element it groups in its one driver process, serially, and each
Flatten is a stage that does the same; with bytes instead of `Doc`s both only copy.

Reading and the per-document stages are fused in `ProcessUnit` on purpose: its output is
checkpointed per unit under `OUT/_work/<run_id>/`, so a killed run restarted with the same recipe
skips every unit already done (extraction is almost all of the cost).  Work spreads across workers by
unit, and large archives are split into byte ranges at record boundaries by `PlanUnits`.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq
import xxhash
from apache_beam.options.pipeline_options import PipelineOptions

from kazcorpus.pipeline import fs, shards
from kazcorpus.pipeline.boilerplate import apply_lines
from kazcorpus.pipeline.operators import run_operators
from kazcorpus.pipeline.recipe import Recipe
from kazcorpus.pipeline.record import REJECTED_SCHEMA, Doc, ReadError, from_table, pack, unpack
from kazcorpus.pipeline.stages import INGEST_STAGES, MEASURE_STAGES, build_operators
from kazcorpus.sources import WorkUnit, plan_units, read_unit

log = logging.getLogger(__name__)

UNIT_TARGET_BYTES = 64 * 1024 * 1024  # largest unit; also the shard bucket size (fixed: see shard_key)
MIN_UNIT_BYTES = 128 * 1024
TARGET_UNITS = 128
MAX_ERROR_SAMPLES = 1000


@dataclass
class RunContext:
    """What every worker needs to know about the run; small and picklable."""

    recipe: Recipe
    run_id: str
    out_dir: str
    unit_bytes: int = UNIT_TARGET_BYTES

    @property
    def work_dir(self) -> str:
        return fs.join(self.out_dir, shards.WORK_DIR, self.run_id)


# --------------------------------------------------------------------------- planning
def unit_bytes_for(entries: list[dict[str, Any]]) -> int:
    """Unit size for a run: about TARGET_UNITS units over the whole input, 128 KiB-64 MiB each.

    Runners hand work to workers by unit (the multi-process DirectRunner even splits a stage's
    units between its workers once, up front), so a run of a few files needs units smaller than a
    file to keep every worker busy to the end; large runs keep 64 MiB units and few checkpoints.
    Depends only on the input files, so a resumed run plans the same units.
    """
    total = 0
    for e in entries:
        try:
            total += os.path.getsize(e["path"])
        except OSError:  # remote or missing: not split by the readers anyway
            total += UNIT_TARGET_BYTES
    return int(min(UNIT_TARGET_BYTES, max(MIN_UNIT_BYTES, total // TARGET_UNITS)))


def plan_file(entry: dict[str, Any], ctx: RunContext):
    """One input file -> its work units, plus (tagged) its size and sha256 for the manifest."""
    path = entry["path"]
    try:
        size, digest = fs.sha256_file(path)
    except OSError as exc:
        yield beam.pvalue.TaggedOutput("errors", ReadError(path, "missing_file", str(exc)))
        yield beam.pvalue.TaggedOutput("inputs", {"path": path, "bytes": None, "sha256": None,
                                                   "source": entry["source"], "kind": entry["kind"]})
        return
    yield beam.pvalue.TaggedOutput(
        "inputs", {"path": path, "bytes": size, "sha256": digest, "source": entry["source"],
                   "kind": entry["kind"]}
    )
    try:
        ranges = plan_units(path, entry["kind"], target_bytes=ctx.unit_bytes)
    except Exception as exc:  # noqa: BLE001 - planning failure: read the file whole instead
        log.warning("could not split %s (%s); reading it whole", path, exc)
        ranges = [(0, None)]
    for start, end in ranges:
        options = dict(entry.get("options", {}))
        # Readers apply the MIME filter, size cap and HTTP-status policy while reading archives.
        options["extract"] = ctx.recipe.extract.model_dump()
        yield WorkUnit(entry["input_index"], path, entry["source"], entry["kind"], start, end, options)


# --------------------------------------------------------------------------- per-document work
class _Progress:
    """Per-process progress: documents read and dropped per stage, logged every few seconds."""

    lock = threading.Lock()
    read = 0
    measured = 0
    dropped: Counter = Counter()
    last = 0.0

    @classmethod
    def tick(cls, doc: Doc, *, phase: str) -> None:
        with cls.lock:
            if phase == "read":
                cls.read += 1
            else:
                cls.measured += 1
            if doc.rejected:
                cls.dropped[doc.rejected_by] += 1
            now = time.monotonic()
            if now - cls.last > 10:
                cls.last = now
                drops = ", ".join(f"{k} {v}" for k, v in cls.dropped.most_common()) or "none"
                log.info("progress (pid %d): %d documents read, %d through the measuring stages; dropped: %s",
                         os.getpid(), cls.read, cls.measured, drops)


GC_YOUNG_THRESHOLD = 10_000
_gc_frozen = False


def tune_gc(*, freeze: bool = True) -> None:
    """Fewer, cheaper garbage collections: in each worker once its models are loaded, and in the
    driver, which runs Beam's local runner (grouping buffers, gRPC messages) in multi-process mode.

    Extraction allocates tens of thousands of short-lived container objects per page (lxml element
    proxies, trafilatura's lists and dicts), so CPython's default young-generation threshold (700)
    runs about one collection per page, some of them full ones over everything Beam and the models
    keep alive: ~2.5% of a run's CPU (measured with gc.callbacks). A threshold of 10,000 cuts the
    collections 20-fold, to under 1% of CPU; the garbage waiting for them is a few MB. `gc.freeze()`
    (once per process) takes what is alive after set-up out of the later full collections altogether.
    """
    global _gc_frozen
    import gc

    if freeze and not _gc_frozen:
        gc.collect()
        gc.freeze()
        _gc_frozen = True
    young, older, oldest = gc.get_threshold()
    gc.set_threshold(max(young, GC_YOUNG_THRESHOLD), older, oldest)


class _StagesDoFn(beam.DoFn):
    """A DoFn that runs a slice of the per-document stages, built once per worker in `setup`."""

    stages: tuple[str, ...] = ()

    def __init__(self, ctx: RunContext):
        self.ctx = ctx
        self.ops = None

    def setup(self):
        self.ops = build_operators(self.ctx.recipe, only=self.stages)
        for op in self.ops:
            op.setup()
        tune_gc()


class ProcessUnit(_StagesDoFn):
    """Read one unit and run the ingest stages on its records, checkpointing the result."""

    stages = INGEST_STAGES

    def _checkpoint_paths(self, unit: WorkUnit) -> tuple[str, str]:
        base = fs.join(self.ctx.work_dir, "units", unit.key)
        return base + ".parquet", base + ".errors.json"

    def process(self, unit: WorkUnit):
        ckpt, errs_path = self._checkpoint_paths(unit)
        if self.ctx.recipe.resume and fs.exists(ckpt) and fs.exists(errs_path):
            # Done by an earlier, interrupted run with the same run id (same recipe and inputs).
            for err in json.loads(fs.read_bytes(errs_path)):
                yield beam.pvalue.TaggedOutput("errors", ReadError(**err))
            with fs.open_read(ckpt) as f:
                yield from from_table(pq.read_table(f))
            return
        rows: list[dict[str, Any]] = []
        errors: list[ReadError] = []
        for item in read_unit(unit):
            if isinstance(item, ReadError):
                errors.append(item)
                yield beam.pvalue.TaggedOutput("errors", item)
                continue
            item.provenance.run_id = self.ctx.run_id
            run_operators(item, self.ops)
            item.raw = None
            _Progress.tick(item, phase="read")
            # Snapshot now: fused downstream stages may mutate the yielded object in place.
            rows.append(item.to_row())
            yield item
        # Errors first, the Parquet checkpoint last: its presence marks the unit complete.
        fs.write_bytes(errs_path, json.dumps([dataclasses.asdict(e) for e in errors]).encode())
        table = pa.Table.from_pylist(rows, schema=REJECTED_SCHEMA)
        fs.atomic_write(ckpt, lambda f: pq.write_table(table, f, compression="zstd"))


class MeasureDocs(_StagesDoFn):
    """Run the measuring stages (language ID, quality, toxicity, PII) on documents still kept."""

    stages = MEASURE_STAGES

    def process(self, item: Doc | tuple[bytes, frozenset[int]]):
        # After the host-boilerplate join a page arrives packed with its host's lines: they are
        # removed here, in the stage that reads the page anyway.
        doc = apply_lines(item) if isinstance(item, tuple) else item
        if not doc.rejected:
            run_operators(doc, self.ops)
            _Progress.tick(doc, phase="measure")
        yield doc


# --------------------------------------------------------------------------- dedup
class ExactDedup(beam.PTransform):
    """Keep one document per hash of normalised text; the others are rejected `exact_duplicate`."""

    def __init__(self, config):
        super().__init__()
        self.config = config

    def expand(self, docs):
        from kazcorpus.pipeline.dedup import exact_key

        return (
            docs
            | "KeyByTextHash" >> beam.Map(lambda d: (exact_key(d), pack(d)))
            | "GroupByTextHash" >> beam.GroupByKey()
            | "KeepFirst" >> beam.FlatMap(_keep_first, stage="exact_dedup", reason="exact_duplicate")
        )


def _keep_first(kv, *, stage: str, reason: str):
    from kazcorpus.pipeline.dedup import representative_order

    _, group = kv
    group = sorted(map(unpack, group), key=representative_order)
    rep = group[0]
    yield rep
    for d in group[1:]:
        d.annotations[stage] = {"duplicate_of": rep.id}
        yield d.drop(stage, reason)


# --------------------------------------------------------------------------- writing
def shard_key(doc: Doc) -> tuple[str, str, str]:
    dest = shards.REJECTED_DIR if doc.rejected else shards.DATA_DIR
    file_hash = xxhash.xxh64_hexdigest(doc.provenance.uri.encode())[:12]
    bucket = (doc.provenance.offset or 0) // UNIT_TARGET_BYTES
    return dest, f"{file_hash}-{bucket:05d}", doc.source


def keyed_for_shards(doc: Doc) -> tuple[tuple[str, str, str], bytes]:
    return shard_key(doc), pack(doc)


def write_group(kv, ctx: RunContext):
    """Write one shard group; also yields (tagged) the index entries of its documents and their
    manifest counts, so the documents are read once, here, for both."""
    (dest, group, source), packed = kv
    docs = [unpack(b) for b in packed]
    merge = MergeStats()
    stats = merge.create_accumulator()
    for d in docs:
        merge.add_input(stats, doc_stats(d))
    yield beam.pvalue.TaggedOutput("stats", stats)
    entries = shards.write_shard_group(
        ctx.out_dir, dest, group, source, docs,
        max_rows=ctx.recipe.shards.max_rows, max_bytes=ctx.recipe.shards.max_bytes,
    )
    for e in entries:
        ids = e.pop("ids")
        for row, doc_id in enumerate(ids):
            yield beam.pvalue.TaggedOutput("index", (doc_id, e["path"], row))
        yield e


def doc_stats(doc: Doc) -> dict[str, Any]:
    """What the manifest and dataset card count, per document (combined globally)."""
    return {
        "stage_reason": Counter({(doc.rejected_by, doc.reason): 1}) if doc.rejected else Counter(),
        "by_lang": Counter({(doc.lang or "und", doc.script or "Zyyy"): 1}) if not doc.rejected else Counter(),
        "chars": Counter({(doc.lang or "und", doc.script or "Zyyy"): len(doc.text)}) if not doc.rejected else Counter(),
        "source_read": Counter({doc.source: 1}),
        "source_kept": Counter({doc.source: 0 if doc.rejected else 1}),
        "source_reasons": Counter({(doc.source, doc.reason): 1}) if doc.rejected else Counter(),
        "total": 1,
    }


class MergeStats(beam.CombineFn):
    """Sums per-element stats dicts: Counters and ints add, lists (error samples) concatenate and
    are cut to the first MAX_ERROR_SAMPLES in a stable order.  The accumulator is updated in place:
    this runs once per document."""

    def create_accumulator(self):
        return {}

    def add_input(self, acc, item):
        for k, v in item.items():
            if k not in acc:
                acc[k] = Counter() if isinstance(v, Counter) else [] if isinstance(v, list) else 0
            if isinstance(v, Counter):
                acc[k].update(v)
            else:
                acc[k] += v
            if isinstance(v, list) and len(acc[k]) > 2 * MAX_ERROR_SAMPLES:
                acc[k] = _first_samples(acc[k])
        return acc

    def merge_accumulators(self, accs):
        out: dict[str, Any] = {}
        for a in accs:
            self.add_input(out, a)
        return out

    def extract_output(self, acc):
        return {k: _first_samples(v) if isinstance(v, list) else v for k, v in acc.items()}


def _first_samples(samples: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(samples, key=lambda e: (e["uri"], e["offset"] or -1, e["reason"]))[:MAX_ERROR_SAMPLES]


def error_stats(err: ReadError) -> dict[str, Any]:
    return {"errors": Counter({err.reason: 1}), "error_samples": [dataclasses.asdict(err)]}


def _to_json_safe(stats: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in stats.items():
        if isinstance(v, Counter):
            out[k] = [[list(key) if isinstance(key, tuple) else key, n] for key, n in sorted(v.items(), key=str)]
        else:
            out[k] = v
    return out


def write_summary(_, ctx: RunContext, docs_stats, err_stats, inputs, outputs, index_entries):
    summary = {
        "docs": _to_json_safe(docs_stats[0]) if docs_stats else {},
        "errors": _to_json_safe(err_stats[0]) if err_stats else {},
        "inputs": sorted(inputs, key=lambda i: i["path"]),
        "outputs": sorted(list(outputs) + list(index_entries), key=lambda e: e["path"]),
    }
    fs.write_bytes(fs.join(ctx.work_dir, "summary.json"), json.dumps(summary).encode())


def build(p: beam.Pipeline, ctx: RunContext, entries: list[dict[str, Any]]) -> None:
    """Add the whole kazcorpus graph to pipeline `p`."""
    recipe = ctx.recipe
    planned = (
        p
        | "ListInputs" >> beam.Create(entries)
        | "SpreadFiles" >> beam.Reshuffle()
        | "PlanUnits" >> beam.FlatMap(plan_file, ctx).with_outputs("inputs", "errors", main="units")
    )
    processed = (
        planned.units
        | "SpreadUnits" >> beam.Reshuffle()
        | "ProcessUnits" >> beam.ParDo(ProcessUnit(ctx)).with_outputs("errors", main="docs")
    )
    docs = processed.docs
    errors = (planned.errors, processed.errors) | "AllErrors" >> beam.Flatten()
    if recipe.dedup.enabled and recipe.dedup.boilerplate.enabled:
        from kazcorpus.pipeline.boilerplate import BoilerplateLines

        # Pages leave the host join packed and paired with their host's boilerplate lines, which
        # MeasureDocs removes.  The join leaves them in per-host groups, which runners hand out
        # unevenly (the multi-process DirectRunner splits a stage's input once, by group or by
        # output chunk): spread them one by one for the measuring stages, the second most costly part.
        docs = (docs
                | "HostBoilerplate" >> BoilerplateLines(recipe.dedup.boilerplate)
                | "SpreadDocs" >> beam.Reshuffle())
    docs = docs | "MeasureDocs" >> beam.ParDo(MeasureDocs(ctx))

    # Every branch is keyed by shard and packed where it is produced (fused into that stage), so
    # the Flatten and GroupByKey in front of the writers only move bytes (see `record.pack`).
    extra_outputs = []
    if recipe.dedup.enabled:
        early_rejected = docs | "AlreadyRejected" >> beam.Filter(lambda d: d.rejected)
        kept = docs | "StillKept" >> beam.Filter(lambda d: not d.rejected)
        to_write = [early_rejected | "KeyRejectedByShard" >> beam.Map(keyed_for_shards)]
        if recipe.dedup.exact:
            deduped = kept | "ExactDedup" >> ExactDedup(recipe.dedup)
            if recipe.dedup.exact_url:
                from kazcorpus.pipeline.dedup import UrlDedup

                deduped = deduped | "UrlDedup" >> UrlDedup()
            to_write.append(deduped
                            | "ExactDuplicates" >> beam.Filter(lambda d: d.rejected)
                            | "KeyDuplicatesByShard" >> beam.Map(keyed_for_shards))
            kept = deduped | "ExactKept" >> beam.Filter(lambda d: not d.rejected)
        if recipe.dedup.minhash or recipe.dedup.against:
            from kazcorpus.pipeline.dedup import NearDedup

            near = NearDedup(recipe.dedup, out_dir=ctx.out_dir, work_dir=ctx.work_dir)
            kept = kept | "NearDedup" >> near
            if near.index_entries is not None:
                extra_outputs.append(near.index_entries)
        to_write.append(kept | "KeyByShard" >> beam.Map(keyed_for_shards))
        keyed = tuple(to_write) | "AllDocs" >> beam.Flatten()
    else:
        keyed = docs | "KeyByShard" >> beam.Map(keyed_for_shards)

    written = (
        keyed
        | "GroupByShard" >> beam.GroupByKey()
        | "WriteShards" >> beam.FlatMap(write_group, ctx).with_outputs("index", "stats", main="outputs")
    )
    docs_stats = written.stats | "MergeDocStats" >> beam.CombineGlobally(MergeStats())
    # The index files' width follows the run's size (`shards.index_chars`), known once all are counted.
    index_width = docs_stats | "IndexWidth" >> beam.Map(lambda stats: shards.index_chars(stats.get("total", 0)))
    index_entries = (
        written.index
        | "KeyByIndexFile" >> beam.Map(lambda e, chars: (shards.index_bucket(e[0], chars), e),
                                       chars=beam.pvalue.AsSingleton(index_width))
        | "GroupIndexBuckets" >> beam.GroupByKey()
        | "WriteIndex" >> beam.Map(lambda kv, c: shards.write_index_bucket(c.out_dir, kv[0], list(kv[1])), ctx)
    )
    if extra_outputs:
        index_entries = (index_entries, *extra_outputs) | "AllIndexFiles" >> beam.Flatten()
    err_stats = errors | "ErrorStats" >> beam.Map(error_stats) | "MergeErrorStats" >> beam.CombineGlobally(
        MergeStats())
    (
        p
        | "SummaryTrigger" >> beam.Create([None])
        | "WriteSummary" >> beam.Map(
            write_summary, ctx,
            docs_stats=beam.pvalue.AsList(docs_stats),
            err_stats=beam.pvalue.AsList(err_stats),
            inputs=beam.pvalue.AsList(planned.inputs),
            outputs=beam.pvalue.AsList(written.outputs),
            index_entries=beam.pvalue.AsList(index_entries),
        )
    )


# --------------------------------------------------------------------------- running
IN_PROCESS_RUNNERS = {None, "", "direct", "directrunner", "fnapirunner"}


def make_options(beam_args: list[str]) -> PipelineOptions:
    return PipelineOptions(beam_args)


def run_pipeline(ctx: RunContext, entries: list[dict[str, Any]], beam_args: list[str]) -> None:
    """Run the graph. DirectRunner (the default) means Beam's in-process FnApiRunner, named
    explicitly: Beam's DirectRunner would first try to download the Prism binary."""
    options = make_options(beam_args)
    tune_gc(freeze=False)  # the driver: the workers (or, in-process, the DoFns) freeze after set-up
    runner_name = (options.get_all_options().get("runner") or "").lower()
    if runner_name in IN_PROCESS_RUNNERS:
        from apache_beam.runners.portability.fn_api_runner import fn_runner

        runner = fn_runner.FnApiRunner()
    else:
        runner = None
    with beam.Pipeline(runner=runner, options=options) as p:
        build(p, ctx, entries)
