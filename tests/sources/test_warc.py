"""WARC / ARC reader: offsets, payload decoding, skips, splitting, re-reading, damage."""

from __future__ import annotations

import base64
import gzip
import hashlib
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kazcorpus.pipeline.record import Doc, ReadError
from kazcorpus.sources import WorkUnit, read_unit, warc
from kazcorpus.sources.reread import reread, reread_doc
from tests.sources.archive_fixtures import (
    EN_HTML,
    KK_HTML,
    RU_HTML_CP1251,
    sample_records,
    write_arc,
    write_warc,
)

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "web"
OPTS = {"extract": {"max_payload_bytes": 2500}}


def read_all(path, kind="warc", **kw) -> list[Doc | ReadError]:
    return list(read_unit(WorkUnit(0, str(path), "test", kind, options=kw.pop("options", OPTS), **kw)))


def docs_of(items):
    return [d for d in items if isinstance(d, Doc)]


def same_record(a: Doc, b: Doc) -> bool:
    return (a.id, a.url, a.raw, a.raw_type, a.provenance, a.metadata) == (
        b.id, b.url, b.raw, b.raw_type, b.provenance, b.metadata)


@pytest.fixture
def crawl(tmp_path):
    records = sample_records()
    paths = {}
    for mode in ("per_record", "whole", "plain"):
        p = tmp_path / f"crawl-{mode}.warc{'' if mode == 'plain' else '.gz'}"
        paths[mode] = (p, write_warc(p, records, mode))
    return paths


def test_same_record_helper_notices_a_difference(crawl):
    path, _ = crawl["per_record"]
    a, b = docs_of(read_all(path))[:2]
    assert same_record(a, a) and not same_record(a, b)


def test_content_records_in_order_with_skip_reasons(crawl):
    path, written = crawl["per_record"]
    items = read_all(path)
    assert not [e for e in items if isinstance(e, ReadError)]
    docs = docs_of(items)
    expected_urls = [w.url for w in written if w.warc_type in ("response", "resource", "revisit")]
    assert [d.url for d in docs] == expected_urls
    skips = {d.url: d.metadata.get("read_skip") for d in docs}
    assert skips["https://kk.example.kz/logo.png"] == "mime_not_allowed"
    assert skips["https://kk.example.kz/missing"] == "http_status_not_ok"
    assert skips["https://kk.example.kz/big"] == "payload_too_large"
    assert [d.metadata.get("read_skip") for d in docs].count("warc_revisit") == 1
    for d in docs:
        assert (d.raw is None) == bool(d.metadata.get("read_skip"))


def test_offsets_and_lengths_are_the_gzip_members(crawl):
    path, written = crawl["per_record"]
    by_id = {w.record_id: w for w in written}
    data = path.read_bytes()
    for d in docs_of(read_all(path)):
        w = by_id[d.provenance.record_id]
        assert (d.provenance.offset, d.provenance.length) == (w.offset, w.length)
        member = gzip.decompress(data[w.offset : w.offset + w.length])
        assert d.provenance.record_id.encode() in member
        assert "inner_offset" not in d.metadata


def test_plain_offsets_are_record_spans(crawl):
    path, written = crawl["plain"]
    data = path.read_bytes()
    by_id = {w.record_id: w for w in written}
    for d in docs_of(read_all(path)):
        w = by_id[d.provenance.record_id]
        assert (d.provenance.offset, d.provenance.length) == (w.offset, w.length)
        assert data[w.offset : w.offset + 9] == b"WARC/1.0\r"


def test_payloads_decoded(crawl):
    path, _ = crawl["per_record"]
    docs = {d.url: d for d in docs_of(read_all(path)) if d.metadata["warc_type"] != "revisit"}
    assert docs["https://kk.example.kz/til"].raw == KK_HTML.encode()
    assert docs["https://ru.example.kz/news"].raw == RU_HTML_CP1251
    assert docs["https://ru.example.kz/news"].metadata["content_encoding"] == "gzip"
    for url in ("https://en.example.kz/br", "https://en.example.kz/deflate", "https://en.example.kz/chunked"):
        assert docs[url].raw == EN_HTML, url
    res = docs["file:///notes/kk.txt"]
    assert res.raw_type == "text" and res.raw.decode().startswith("Қазақ")
    til = docs["https://kk.example.kz/til"]
    assert til.metadata["http_status"] == 200 and til.metadata["content_type"] == "text/html"
    assert til.metadata["charset"] == "utf-8"
    assert til.metadata["rights"]["x_robots_tag"] == "noimageai"
    assert til.provenance.date == "2024-05-04T10:00:00Z"


def test_digest_own_or_computed(crawl):
    path, _ = crawl["per_record"]
    docs = {d.url: d for d in docs_of(read_all(path)) if d.metadata["warc_type"] != "revisit"}
    data = path.read_bytes()
    own = docs["https://kk.example.kz/til"]
    member = gzip.decompress(data[own.provenance.offset : own.provenance.offset + own.provenance.length])
    assert f"WARC-Payload-Digest: {own.provenance.digest}".encode() in member
    computed = docs["https://ru.example.kz/news"]  # written without a digest: computed on the stored body
    body = gzip.compress(RU_HTML_CP1251, mtime=0)
    assert computed.provenance.digest == "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode()


def test_three_containers_give_the_same_documents(crawl):
    reads = {mode: docs_of(read_all(p)) for mode, (p, _) in crawl.items()}
    key = [(d.id, d.url, d.raw, d.provenance.record_id, d.provenance.digest) for d in reads["per_record"]]
    for mode in ("whole", "plain"):
        assert [(d.id, d.url, d.raw, d.provenance.record_id, d.provenance.digest) for d in reads[mode]] == key
    whole = reads["whole"]
    assert all(d.provenance.offset == 0 for d in whole)
    assert all(d.metadata.get("inner_offset") or d.provenance.length for d in whole)


@pytest.mark.parametrize("mode", ["per_record", "whole", "plain"])
def test_reread_every_record(crawl, mode):
    path, _ = crawl[mode]
    docs = docs_of(read_all(path))
    assert docs
    for d in docs:
        again = reread_doc(d, kind="warc", options=OPTS)
        assert isinstance(again, Doc), again
        assert same_record(d, again)
        # without the inner offset a whole-file record is still found by its id
        plain = reread(str(path), "warc", d.provenance.offset, record_id=d.provenance.record_id,
                       options={"source": "test", **OPTS})
        assert same_record(d, plain)


def test_reread_reports_missing_record(crawl):
    path, written = crawl["per_record"]
    got = reread(str(path), "warc", written[2].offset, record_id="<urn:uuid:nope>")
    assert isinstance(got, ReadError) and got.reason == "record_not_found"


def big_warc(tmp_path, n=60, plain=False):
    recs = sample_records()
    many = []
    for i in range(n):
        wtype, url, data, rid = recs[2 + i % 3]
        new_rid = f"<urn:uuid:11111111-0000-0000-0000-{i:012d}>"
        many.append((wtype, f"{url}?{i}", data.replace(rid.encode(), new_rid.encode()), new_rid))
    p = tmp_path / ("big.warc" if plain else "big.warc.gz")
    write_warc(p, many, "plain" if plain else "per_record")
    return p


@pytest.mark.parametrize("plain", [False, True])
def test_plan_ranges_split_at_record_boundaries(tmp_path, plain):
    p = big_warc(tmp_path, plain=plain)
    size = os.path.getsize(p)
    ranges = warc.plan_ranges(str(p), target_bytes=size // 5)
    assert len(ranges) >= 4
    assert ranges[0][0] == 0 and ranges[-1][1] is None
    assert all(a < b for a, b in ranges[:-1])
    whole = docs_of(read_all(p))
    pieces = []
    for start, end in ranges:
        pieces += docs_of(read_all(p, start=start, end=end))
    assert [d.id for d in pieces] == [d.id for d in whole]
    assert len({d.id for d in whole}) == 60


@pytest.mark.parametrize("plain", [False, True])
def test_plan_ranges_cut_equal_parts_not_a_scrap(tmp_path, plain):
    p = big_warc(tmp_path, n=120, plain=plain)
    size = os.path.getsize(p)
    # 3.5 targets per file: four parts of ~7/8 target each, not three full ones and a half one
    ranges = warc.plan_ranges(str(p), target_bytes=int(size / 3.5))
    ends = [b if b is not None else size for _, b in ranges]
    lengths = [b - a for (a, _), b in zip(ranges, ends, strict=True)]
    assert len(ranges) == 4
    assert max(lengths) < 1.25 * min(lengths)


def test_whole_file_gzip_is_not_split(crawl):
    path, _ = crawl["whole"]
    assert warc.plan_ranges(str(path), target_bytes=1024) == [(0, None)]


@pytest.mark.parametrize("gz", [True, False])
def test_arc_v1(tmp_path, gz):
    p = tmp_path / ("old.arc.gz" if gz else "old.arc")
    written = write_arc(p, gz=gz, short_last=not gz)
    items = read_all(p, "arc")
    assert not [e for e in items if isinstance(e, ReadError)]
    docs = docs_of(items)
    assert [d.url for d in docs] == [w.url for w in written[2:]]
    spaced, old, last = docs
    assert spaced.raw == KK_HTML.encode() and spaced.url.endswith("a page with spaces.html")
    assert spaced.provenance.date == "2008-04-30T20:48:26Z" and old.provenance.date is None
    assert old.raw == RU_HTML_CP1251
    if gz:
        assert [(d.provenance.offset, d.provenance.length) for d in docs] == [
            (w.offset, w.length) for w in written[2:]]
    else:
        # the 7 missing bytes include the separator newline, read as content
        assert last.metadata["truncated_at_eof"] == 6 and last.raw == EN_HTML + b"\n"
    for d in docs:
        assert same_record(d, reread_doc(d, kind="arc", options=OPTS))


# --- damage ------------------------------------------------------------------------------------


def intact_before(path_bytes: bytes, written, cut: int, tmp_path, name: str) -> tuple[list, list]:
    p = tmp_path / name
    p.write_bytes(path_bytes)
    items = read_all(p)  # must not raise
    return items, [w.record_id for w in written if w.offset + w.length <= cut]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
@pytest.mark.parametrize("mode", ["per_record", "plain", "whole"])
def test_truncation_and_flips_keep_records_before_damage(crawl, tmp_path, mode, data):
    path, written = crawl[mode]
    blob = path.read_bytes()
    good = {d.provenance.record_id: d for d in docs_of(read_all(path))}
    if data.draw(st.booleans(), label="truncate"):
        cut = data.draw(st.integers(0, len(blob) - 1), label="cut")
        damaged = blob[:cut]
    else:
        cut = data.draw(st.integers(0, len(blob) - 1), label="flip_at")
        bit = data.draw(st.integers(0, 7), label="bit")
        damaged = blob[:cut] + bytes([blob[cut] ^ (1 << bit)]) + blob[cut + 1 :]
    items, before = intact_before(damaged, written, cut, tmp_path, f"damaged-{mode}.warc.gz")
    if mode == "whole":
        before = []  # one member: a damaged trailer may be found only at the end; nothing is owed
    got = {d.provenance.record_id: d for d in docs_of(items)}
    for rid in before:
        if rid in good:
            assert rid in got, (rid, cut)
            a, b = got[rid], good[rid]
            assert (a.raw, a.metadata, a.provenance.offset, a.provenance.length, a.provenance.digest) == (
                b.raw, b.metadata, b.provenance.offset, b.provenance.length, b.provenance.digest)


def test_garbage_between_members_is_skipped(crawl, tmp_path):
    path, written = crawl["per_record"]
    blob = path.read_bytes()
    at = written[5].offset
    p = tmp_path / "garbage.warc.gz"
    p.write_bytes(blob[:at] + b"JUNKJUNKJUNK" + blob[at:])
    items = read_all(p)
    errors = [e for e in items if isinstance(e, ReadError)]
    assert [e.reason for e in errors] == ["garbage_between_members"]
    assert len(docs_of(items)) == len(docs_of(read_all(path)))  # resynchronised: nothing lost


# --- real archives -----------------------------------------------------------------------------

REAL = sorted(p for p in (SHARED / "warc").rglob("*") if p.is_file()) if (SHARED / "warc").is_dir() else []


@pytest.mark.skipif(not REAL, reason="shared web archive data absent")
@pytest.mark.parametrize("path", REAL, ids=lambda p: str(p.relative_to(SHARED)))
def test_every_shared_archive_reads_without_crash(path):
    from kazcorpus.sources import infer_kind

    kind = infer_kind(str(path)) or ("arc" if ".arc" in path.name else "warc")
    items = list(warc.read(WorkUnit(0, str(path), "real", kind)))
    assert all(isinstance(i, Doc | ReadError) for i in items)
    for d in docs_of(items)[:20]:
        again = reread_doc(d, kind=kind, options={})
        assert isinstance(again, Doc) and same_record(d, again), str(again)[:200]


@pytest.mark.skipif(not (SHARED / "warc/aut/example.warc.gz").exists(), reason="shared data absent")
def test_agrees_with_warcio_on_html_responses():
    from warcio.archiveiterator import ArchiveIterator

    path = SHARED / "warc/aut/example.warc.gz"
    expected = []
    with open(path, "rb") as f:
        for rec in ArchiveIterator(f):
            if rec.rec_type != "response" or not rec.http_headers:
                continue
            ctype = (rec.http_headers.get_header("Content-Type") or "").split(";")[0].strip().lower()
            if rec.http_headers.get_statuscode() == "200" and ctype == "text/html":
                expected.append(rec.rec_headers.get_header("WARC-Record-ID"))
    ours = [d.provenance.record_id for d in docs_of(warc.read(WorkUnit(0, str(path), "real", "warc")))
            if d.raw is not None and d.metadata["content_type"] == "text/html"]
    assert ours == expected and len(ours) > 50


@pytest.mark.skipif(not (SHARED / "warc/servo-warc-tests/GoogleDE.warc.gz").exists(), reason="shared data absent")
def test_brotli_bodies_decoded():
    path = SHARED / "warc/servo-warc-tests/GoogleDE.warc.gz"
    br = [d for d in docs_of(warc.read(WorkUnit(0, str(path), "real", "warc")))
          if "br" in d.metadata.get("content_encoding", "") and d.raw is not None]
    assert br and all(d.raw.lstrip()[:1] in (b"<", b"{", b")") for d in br)


@pytest.mark.skipif(not (SHARED / "warc/whirlwind/whirlwind.warc.wet.gz").exists(), reason="shared data absent")
def test_wet_conversion_records():
    path = SHARED / "warc/whirlwind/whirlwind.warc.wet.gz"
    docs = docs_of(warc.read(WorkUnit(0, str(path), "real", "wet")))
    assert docs and all(d.raw_type == "text" and d.metadata["warc_type"] == "conversion" for d in docs)
