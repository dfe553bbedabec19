"""JSONL / Parquet / text readers: fields, ids, offsets, re-reading, bad lines."""

from __future__ import annotations

import gzip
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from kazcorpus.pipeline.record import Doc, ReadError, stable_id
from kazcorpus.sources import WorkUnit, read_unit
from kazcorpus.sources.reread import reread, reread_doc

ROWS = [
    {"doc_id": "a1", "body": "Бірінші құжат.", "link": "https://a.kz/1", "lang": "kk"},
    {"doc_id": "a2", "body": "Екінші құжат, ұзынырақ.", "link": None},
    {"doc_id": 3, "body": "Үшінші.", "link": "https://a.kz/3"},
]
OPTS = {"text_field": "body", "id_field": "doc_id", "url_field": "link"}


def jsonl_bytes(bad_line: bool = False) -> bytes:
    lines = [json.dumps(r, ensure_ascii=False) for r in ROWS]
    if bad_line:
        lines.insert(1, "{not json")
        lines.insert(2, json.dumps({"doc_id": "x", "other": 1}))
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture(params=["jsonl", "jsonl.gz", "jsonl.zst"])
def jsonl_path(request, tmp_path):
    raw = jsonl_bytes(bad_line=True)
    data = {"jsonl": raw, "jsonl.gz": gzip.compress(raw), "jsonl.zst": zstandard.compress(raw)}[request.param]
    p = tmp_path / f"texts.{request.param}"
    p.write_bytes(data)
    return p


def read(path, kind, options=OPTS):
    return list(read_unit(WorkUnit(0, str(path), "col", kind, options=options)))


def test_jsonl_fields_ids_and_bad_lines(jsonl_path):
    items = read(jsonl_path, "jsonl")
    errors = [i.reason for i in items if isinstance(i, ReadError)]
    assert errors == ["bad_json", "missing_text_field"]
    docs = [i for i in items if isinstance(i, Doc)]
    assert [d.text for d in docs] == [r["body"] for r in ROWS]
    assert [d.provenance.record_id for d in docs] == ["a1", "a2", "3"]
    assert docs[0].id == stable_id("col", "id:a1") and docs[0].url == "https://a.kz/1"
    assert docs[0].metadata == {"lang": "kk"}
    raw = jsonl_bytes(bad_line=True)
    for d in docs:
        line = raw[d.provenance.offset :].split(b"\n", 1)[0]
        assert json.loads(line)["body"] == d.text


def test_jsonl_reread_every_record(jsonl_path):
    for d in (i for i in read(jsonl_path, "jsonl") if isinstance(i, Doc)):
        again = reread_doc(d, kind="jsonl", options=OPTS)
        assert isinstance(again, Doc) and again.to_row() == d.to_row()
    wrong = reread(str(jsonl_path), "jsonl", 0, record_id="zz", options=OPTS)
    assert isinstance(wrong, ReadError) and wrong.reason == "record_not_found"


def test_truncated_gzip_jsonl_keeps_lines(tmp_path):
    p = tmp_path / "cut.jsonl.gz"
    p.write_bytes(gzip.compress(jsonl_bytes() * 50)[:-30])
    items = read(p, "jsonl")
    assert isinstance(items[-1], ReadError) and items[-1].reason == "truncated_or_corrupt"
    texts = [i.text for i in items if isinstance(i, Doc)]
    assert len(texts) > 50 and texts == [r["body"] for r in ROWS * 50][: len(texts)]


def test_parquet_and_reread(tmp_path):
    p = tmp_path / "t.parquet"
    pq.write_table(pa.Table.from_pylist([{**r, "doc_id": str(r["doc_id"])} for r in ROWS]), p)
    docs = [i for i in read(p, "parquet") if isinstance(i, Doc)]
    assert [d.text for d in docs] == [r["body"] for r in ROWS]
    for d in docs:
        again = reread_doc(d, kind="parquet", options=OPTS)
        assert isinstance(again, Doc) and again.to_row() == d.to_row()
    assert [e.reason for e in read(p, "parquet", {"text_field": "nope"})] == ["missing_text_field"]


def test_text_file_and_folder(tmp_path):
    folder = tmp_path / "texts"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("Алма\r\nАғашы", encoding="utf-8")
    (folder / "sub" / "b.txt").write_bytes("Сегодня хорошая погода в городе Алматы и тепло.".encode("cp1251"))
    (folder / ".hidden").write_text("skip me")
    docs = read(folder, "text", {})
    assert [d.provenance.record_id for d in docs] == ["a.txt", "sub/b.txt"]
    assert docs[0].text == "Алма\nАғашы" and "погода" in docs[1].text
    for d in docs:
        again = reread_doc(d, kind="text")
        assert isinstance(again, Doc) and again.to_row() == d.to_row()
