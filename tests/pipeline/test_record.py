"""The one record type: stable ids, and lossless round trips to Arrow/Parquet and JSONL."""

from __future__ import annotations

import io

import pyarrow.parquet as pq
from hypothesis import given, settings
from hypothesis import strategies as st

from kazcorpus.pipeline.record import (
    ARROW_SCHEMA,
    REJECTED_SCHEMA,
    Doc,
    Provenance,
    from_table,
    stable_id,
    to_table,
)

texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200)
maybe = lambda s: st.none() | s  # noqa: E731

provenances = st.builds(
    Provenance,
    uri=texts,
    offset=maybe(st.integers(0, 2**62)),
    length=maybe(st.integers(0, 2**40)),
    record_id=maybe(texts),
    digest=maybe(texts),
    date=maybe(texts),
    extractor=maybe(texts),
    run_id=maybe(texts),
    text_hash=maybe(texts),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | texts,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(texts, children, max_size=3),
    max_leaves=8,
)
docs = st.builds(
    Doc,
    id=texts,
    source=texts,
    provenance=provenances,
    text=texts,
    url=maybe(texts),
    lang=maybe(st.sampled_from(["kk", "ru", "en"])),
    script=maybe(st.sampled_from(["Cyrl", "Latn", "Arab"])),
    lang_score=maybe(st.floats(0, 1)),
    metadata=st.dictionaries(texts, json_values, max_size=3),
    annotations=st.dictionaries(texts, json_values, max_size=3),
    minhash_cluster=maybe(texts),
    cluster_size=maybe(st.integers(1, 10**6)),
    rejected_by=maybe(texts),
    reason=maybe(texts),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(docs, max_size=5))
def test_parquet_round_trip_keeps_every_field(batch):
    buf = io.BytesIO()
    pq.write_table(to_table(batch, rejected=True), buf, compression="zstd")
    back = from_table(pq.read_table(io.BytesIO(buf.getvalue())))
    assert [d.to_row() for d in back] == [d.to_row() for d in batch]


@settings(max_examples=60, deadline=None)
@given(docs)
def test_jsonl_round_trip_keeps_every_field(doc):
    assert Doc.from_json(doc.to_json()).to_row() == doc.to_row()


@given(texts, texts)
def test_stable_id_is_a_function_of_source_and_key(source, key):
    assert stable_id(source, key) == stable_id(source, key)
    assert len(stable_id(source, key)) == 32
    assert stable_id(source, key) != stable_id(source + "x", key)
    assert stable_id(source, key) != stable_id(source, key + "x")


def test_source_and_key_cannot_be_confused_by_concatenation():
    assert stable_id("ab", "c") != stable_id("a", "bc")


def test_kept_schema_has_no_decision_columns_and_rejected_has_them():
    assert "rejected_by" not in ARROW_SCHEMA.names and "reason" not in ARROW_SCHEMA.names
    assert {"rejected_by", "reason"} <= set(REJECTED_SCHEMA.names)
    contract = {"id", "text", "lang", "script", "lang_score", "url", "source", "provenance", "minhash_cluster"}
    assert contract <= set(ARROW_SCHEMA.names)
    prov = {f.name for f in ARROW_SCHEMA.field("provenance").type}
    assert {"uri", "offset", "record_id", "digest", "extractor", "run_id"} <= prov


def test_raw_payload_is_never_written():
    d = Doc(id="x", source="s", provenance=Provenance(uri="u"), raw=b"<html>", raw_type="html")
    assert "raw" not in d.to_row()
