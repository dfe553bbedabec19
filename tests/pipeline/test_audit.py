"""Auditor tools on a real (tiny) release: trace, reproduce, verify, forget and the blocklist.

The release is built once per module by the real pipeline from copies of the demo sample, plus a
JSONL file of exact and near copies of the sample's books on two mirror hosts, so that duplicates
exist for `trace` to show and for `forget` to follow.
"""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pyarrow.parquet as pq
import pytest
import yaml

from kazcorpus.pipeline import audit, shards
from kazcorpus.pipeline.cli import main
from kazcorpus.pipeline.recipe import demo_dir, parse_recipe
from kazcorpus.pipeline.record import Doc, Provenance, text_hash
from kazcorpus.pipeline.run import run
from kazcorpus.pipeline.shards import verify

COPY = "copies.example.org"
NEAR = "near-copies.example.org"


def _recipe(inputs: list[dict], out: Path, **extra):
    data = yaml.safe_load((demo_dir() / "recipe.yaml").read_text(encoding="utf-8"))
    data.update(inputs=inputs, output=str(out), **extra)
    return parse_recipe(data)


def _mirror_lines(books: Path) -> list[str]:
    lines = []
    for n, raw in enumerate(books.read_text(encoding="utf-8").splitlines()):
        try:
            obj = json.loads(raw)
        except ValueError:
            continue
        text = obj.get("text")
        if not isinstance(text, str):
            continue
        lines.append(json.dumps({"id": f"mirror-{n}", "url": f"https://{COPY}/copy/{n}", "text": text},
                                ensure_ascii=False))
        near = text + "\n\nБұл мәтін басқа сайттан көшірілді."
        lines.append(json.dumps({"id": f"near-{n}", "url": f"https://www.{NEAR}/copy/{n}", "text": near},
                                ensure_ascii=False))
    return lines


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    root = tmp_path_factory.mktemp("audit")
    inputs_dir = root / "inputs"
    shutil.copytree(demo_dir() / "sample", inputs_dir)
    (inputs_dir / "mirror.jsonl").write_text("\n".join(_mirror_lines(inputs_dir / "books.jsonl")) + "\n",
                                             encoding="utf-8")
    demo_inputs = yaml.safe_load((demo_dir() / "recipe.yaml").read_text(encoding="utf-8"))["inputs"]
    inputs = [{**spec, "path": str(inputs_dir / Path(spec["path"]).name)} for spec in demo_inputs]
    inputs.append({"path": str(inputs_dir / "mirror.jsonl"), "source": "test-mirror", "kind": "jsonl"})
    out = root / "release"
    manifest = run(_recipe(inputs, out))
    return {"root": root, "out": out, "manifest": manifest, "inputs": inputs}


def _rows(out: Path, sub: str) -> list[dict]:
    rows = []
    for p in sorted((out / sub).glob("*.parquet")):
        rows += pq.read_table(p).to_pylist()
    return rows


def _all_rows(out: Path) -> list[dict]:
    return _rows(out, "data") + _rows(out, "rejected")


def _kind_of(release, row) -> str:
    return next(i["kind"] for i in release["manifest"]["inputs"] if i["path"] == row["provenance"]["uri"])


def _by_id(out: Path) -> dict[str, dict]:
    return {r["id"]: r for r in _all_rows(out)}


# --------------------------------------------------------------------------- trace
def test_fresh_release_verifies(release):
    assert verify(str(release["out"])) == []


def _sample(release) -> list[dict]:
    """Up to two kept and two rejected documents of every input kind."""
    picked, seen = [], {}
    for row in sorted(_all_rows(release["out"]), key=lambda r: r["id"]):
        key = (_kind_of(release, row), bool(row.get("rejected_by")))
        if seen.get(key, 0) < 2:
            seen[key] = seen.get(key, 0) + 1
            picked.append(row)
    return picked


def test_trace_and_reproduce_every_kind(release):
    out, manifest = str(release["out"]), release["manifest"]
    sample = _sample(release)
    kinds = {i["kind"] for i in manifest["inputs"]}
    assert {_kind_of(release, r) for r in sample} == kinds, "every input kind must give documents"
    assert any(r.get("rejected_by") for r in sample) and any(not r.get("rejected_by") for r in sample)
    for row in sample:
        got = audit.trace(out, row["id"], reproduce=True)
        assert got is not None, row["id"]
        json.dumps(got)  # JSON-able
        assert got["id"] == row["id"] and got["source"] == row["source"] and got["url"] == row["url"]
        assert got["status"] == ("rejected" if row.get("rejected_by") else "kept")
        assert got["provenance"] == row["provenance"]
        assert got["input"]["kind"] == _kind_of(release, row)
        assert got["run"]["run_id"] == manifest["run_id"] == got["run"]["document_run_id"]
        assert got["run"]["recipe_hash"] == manifest["recipe_hash"]
        assert got["run"]["models"] == manifest["models"]
        stages = {s["stage"]: s for s in got["stages"]}
        assert [s["stage"] for s in got["stages"]] == [f["stage"] for f in manifest["funnel"]]
        if row.get("rejected_by"):
            assert stages[row["rejected_by"]]["decision"] == "dropped"
            assert stages[row["rejected_by"]]["reason"] == row["reason"]
        else:
            assert all(s["decision"] == "passed" for s in got["stages"])
        annotations = json.loads(row["annotations"])
        assert got["language_spans"] == (annotations.get("langid") or {}).get("spans")
        for name, s in stages.items():
            assert s["scores"] == annotations.get(name)
        if "quality" in annotations and stages["quality"]["settings"]:
            used = annotations["quality"].get("thresholds")
            assert list(stages["quality"]["settings"]["thresholds"]) == [used]
        assert got["reproduced"] is True, (row["id"], got.get("reproduce_error"), got.get("diff"))
        assert got["reproduced_text_hash"] == row["provenance"]["text_hash"]


def test_trace_unknown_id_and_prefix(release):
    out = str(release["out"])
    assert audit.trace(out, "f" * 32) is None
    assert audit.trace(out, "zz") is None
    row = _rows(release["out"], "data")[0]
    ids = {r["id"] for r in _all_rows(release["out"])}
    prefix = next(row["id"][:n] for n in range(4, 33) if sum(i.startswith(row["id"][:n]) for i in ids) == 1)
    assert audit.trace(out, prefix)["id"] == row["id"]


def test_trace_reads_only_the_index_bucket_and_the_shard(release, tmp_path):
    """Every other shard and index bucket deleted: trace still answers, so it never scans the release."""
    copy = tmp_path / "release"
    shutil.copytree(release["out"], copy)
    row = _rows(copy, "rejected")[-1]
    hit = audit.lookup(str(copy), row["id"])
    assert hit is not None and hit[0] == row["id"]
    for p in list(copy.glob("data/*.parquet")) + list(copy.glob("rejected/*.parquet")) + list(copy.glob("index/*")):
        rel = p.relative_to(copy).as_posix()
        chars = shards.release_index_chars(audit.load_manifest(str(copy)))
        if rel not in (hit[1], f"index/{row['id'][:chars]}.parquet"):
            p.unlink()
    got = audit.trace(str(copy), row["id"])
    assert got["id"] == row["id"] and got["reason"] == row["reason"] and got["shard"] == hit[1]


def test_index_width_follows_the_run_size_and_old_releases_still_resolve(release, tmp_path):
    """Small runs name index files by one hex digit; a release without `index_id_chars` (written
    before the width was chosen per run) is read with two."""
    assert [shards.index_chars(n) for n in (0, 800_000, 800_001, 12_800_001, 10**12)] == [1, 1, 2, 3, 4]
    out = release["out"]
    manifest = audit.load_manifest(str(out))
    assert manifest["index_id_chars"] == 1
    assert sorted(p.stem for p in (out / "index").glob("*.parquet")) == sorted(
        {r["id"][:1] for r in _all_rows(out)})
    # The same release as an older kazcorpus wrote it: 256-way index, no key in the manifest.
    old = tmp_path / "old"
    shutil.copytree(out, old)
    rows = [r for p in (old / "index").glob("*.parquet") for r in pq.read_table(p).to_pylist()]
    for p in (old / "index").glob("*.parquet"):
        p.unlink()
    for bucket in {r["id"][:2] for r in rows}:
        shards.write_index_bucket(str(old), bucket, [(r["id"], r["shard"], r["row"]) for r in rows
                                                     if r["id"][:2] == bucket])
    del manifest["index_id_chars"]
    (old / "manifest.json").write_text(json.dumps(manifest))
    some = rows[len(rows) // 2]
    assert audit.lookup(str(old), some["id"]) == (some["id"], some["shard"], some["row"])
    assert audit.lookup(str(out), some["id"]) == (some["id"], some["shard"], some["row"])


def _representative(row: dict) -> str | None:
    """The id a duplicate was dropped in favour of, from the annotation of the stage that dropped it."""
    ann = json.loads(row["annotations"]).get(row.get("rejected_by") or "")
    return ann.get("duplicate_of") if isinstance(ann, dict) else None


def test_trace_shows_the_representative_of_a_duplicate(release):
    out = release["out"]
    kept = {r["id"] for r in _rows(out, "data")}
    dups = [r for r in _rows(out, "rejected") if _representative(r)]
    assert dups, "the mirror copies must give duplicates"
    for row in dups[:3]:
        rep = _representative(row)
        got = audit.trace(str(out), row["id"])
        assert got["duplicates"]["duplicate_of"] == rep and got["duplicates"]["duplicate_stage"] == row["rejected_by"]
        assert got["duplicates"]["minhash_cluster"] == row["minhash_cluster"]
        assert got["duplicates"]["representative"]["id"] == rep
        assert got["duplicates"]["representative"]["status"] == ("kept" if rep in kept else "rejected")


# --------------------------------------------------------------------------- reproduce
def _changed_copy_test(release, path: Path, position: int, row: dict) -> dict:
    backup = path.read_bytes()
    try:
        data = bytearray(backup)
        data[position] ^= 0x01
        path.write_bytes(bytes(data))
        return audit.trace(str(release["out"]), row["id"], reproduce=True)
    finally:
        path.write_bytes(backup)


def test_changed_byte_in_jsonl_input_is_not_reproduced(release):
    row = next(r for r in _rows(release["out"], "data") if _kind_of(release, r) == "jsonl")
    path = Path(row["provenance"]["uri"])
    offset = row["provenance"]["offset"]
    line = path.read_bytes()[offset:].split(b"\n", 1)[0]
    # The second byte of the first two-byte Cyrillic letter (ids and URLs are ASCII, so it is in
    # the text): flipping its lowest bit gives another letter, the line stays valid UTF-8 JSON.
    lead = next(i for i, b in enumerate(line) if b in (0xD0, 0xD1, 0xD2, 0xD3))
    got = _changed_copy_test(release, path, offset + lead + 1, row)
    assert got["reproduced"] is False
    assert got["reproduced_text_hash"] != row["provenance"]["text_hash"]
    assert got["diff"].startswith("--- released") and "\n-" in got["diff"] and "\n+" in got["diff"]
    assert audit.trace(str(release["out"]), row["id"], reproduce=True)["reproduced"] is True  # restored


def test_changed_byte_in_warc_input_is_not_reproduced(release):
    row = next(r for r in _rows(release["out"], "data") if _kind_of(release, r) == "warc")
    prov = row["provenance"]
    length = prov.get("length") or 200
    got = _changed_copy_test(release, Path(prov["uri"]), prov["offset"] + length // 2, row)
    assert got["reproduced"] is False
    assert got.get("reproduce_error") or got.get("diff")


def test_reproduce_says_false_when_the_input_is_gone(release):
    row = _rows(release["out"], "rejected")[0]
    path = Path(row["provenance"]["uri"])
    moved = path.with_name(path.name + ".away")
    path.rename(moved)
    try:
        got = audit.trace(str(release["out"]), row["id"], reproduce=True)
    finally:
        moved.rename(path)
    assert got["reproduced"] is False and got["reproduce_error"]


# --------------------------------------------------------------------------- verify
def test_verify_finds_changed_missing_and_extra_files(release, tmp_path):
    copy = tmp_path / "release"
    shutil.copytree(release["out"], copy)
    assert verify(str(copy)) == []
    shard = sorted(copy.glob("data/*.parquet"))[0]
    data = bytearray(shard.read_bytes())
    data[len(data) // 2] ^= 0xFF
    shard.write_bytes(bytes(data))
    missing = sorted(copy.glob("index/*.parquet"))[0]
    missing.unlink()
    (copy / "rejected" / "extra.parquet").write_bytes(b"PAR1")
    (copy / "notes.txt").write_text("not part of the release")
    problems = verify(str(copy))
    rel = lambda p: p.relative_to(copy).as_posix()  # noqa: E731
    assert f"sha256 mismatch: {rel(shard)}" in problems
    assert f"missing: {rel(missing)}" in problems
    assert "not in manifest: rejected/extra.parquet" in problems
    assert "not in manifest: notes.txt" in problems
    assert len(problems) == 4
    assert main(["verify", str(copy)]) == 1


# --------------------------------------------------------------------------- forget
def test_forget_removes_duplicates_and_the_next_run_keeps_them_out(release, tmp_path):
    work = tmp_path / "takedown"
    copy = work / "release"
    shutil.copytree(release["out"], copy)
    before = _by_id(copy)
    kept_before = {r["id"] for r in _rows(copy, "data")}
    # A copy on the mirror host whose representative is in data/: forgetting the copy's URL must
    # also take the representative (the same text) and every other duplicate of it.
    copy_row = next(r for r in _rows(copy, "rejected") if urlsplit(r["url"] or "").hostname == COPY
                    and _representative(r) in kept_before)
    rep = _representative(copy_row)
    url = copy_row["url"].replace("https://", "HTTPS://").replace(COPY, COPY.upper())  # any spelling
    summary = audit.forget(str(copy), urls=[url], reason="owner request")
    gone = {d["id"] for d in summary["documents"]}
    assert {copy_row["id"], rep} <= gone
    assert summary["forgotten"] == len(gone) and summary["from_data"] >= 1 and summary["not_found"]["urls"] == []
    others = {i for i, r in before.items() if _representative(r) == rep}
    assert others <= gone
    assert verify(str(copy)) == []

    after = _by_id(copy)
    assert set(after) == set(before), "documents move to rejected/, none vanish"
    data_ids = {r["id"] for r in _rows(copy, "data")}
    assert not gone & data_ids
    assert data_ids == kept_before - gone
    for i in gone:
        r = after[i]
        assert r["rejected_by"] == "takedown" and r["reason"] == "takedown" and r["text"] == ""
        t = audit.trace(str(copy), i)
        assert t["status"] == "rejected" and t["stages"][-1]["stage"] == "takedown"
        assert t["stages"][-1]["scores"]["previous"]["rejected_by"] == before[i].get("rejected_by")
    clusters = {before[i]["minhash_cluster"] for i in gone} - {None}
    assert not [r for r in _rows(copy, "data") if r["minhash_cluster"] in clusters]

    manifest = json.loads((copy / "manifest.json").read_text())
    assert manifest["takedowns"][-1]["urls"] == [url] and manifest["takedowns"][-1]["count"] == len(gone)
    assert manifest["counts"]["kept"] == len(data_ids)
    assert manifest["funnel"][-1]["stage"] == "takedown" and manifest["funnel"][-1]["out"] == len(data_ids)
    assert "## Takedowns" in (copy / "README.md").read_text()
    assert not (copy / "_work").exists(), "the scratch folder holds copies of forgotten text"
    assert not list(work.glob("release.*")), "no temporary folder left behind"

    blocklist = work / "blocklist.jsonl"
    entries = [json.loads(line) for line in blocklist.read_text().splitlines()]
    assert {"kind": "url", "value": url} .items() <= entries[0].items()
    assert {e["value"] for e in entries if e["kind"] == "id"} >= gone - {copy_row["id"]}

    # Forgetting again is a no-op for the documents, and says so.
    again = audit.forget(str(copy), urls=[copy_row["url"]], reason="owner request")
    assert again["forgotten"] == 0 and again["already_forgotten"] == len(gone)
    assert verify(str(copy)) == []

    # The next run, with the blocklist in the recipe, keeps them out at ingest.
    next_out = work / "next"
    run(_recipe(release["inputs"], next_out, blocklist=str(blocklist)))
    assert verify(str(next_out)) == []
    nxt = _by_id(next_out)
    assert not gone & {r["id"] for r in _rows(next_out, "data")}
    for i in gone:
        assert nxt[i]["rejected_by"] == "blocklist" and nxt[i]["reason"] == "takedown" and nxt[i]["text"] == ""
    assert {r["id"] for r in _rows(next_out, "data")} == data_ids


def test_forget_by_domain_and_id_into_a_new_folder(release, tmp_path):
    src = tmp_path / "release"
    shutil.copytree(release["out"], src)
    before = _by_id(src)
    wiki = next(r for r in _rows(src, "data") if r["source"] == "demo-kkwiki")
    new = tmp_path / "release-2"
    summary = audit.forget(str(src), ids=[wiki["id"]], domains=[NEAR], blocklist=str(tmp_path / "bl.jsonl"),
                           new_output=str(new), reason="test")
    assert summary["release"] == str(new) and verify(str(new)) == [] and verify(str(src)) == []
    on_near = {i for i, r in before.items() if (r["url"] or "").startswith(f"https://www.{NEAR}/")}
    assert on_near and (on_near | {wiki["id"]}) <= {d["id"] for d in summary["documents"]}
    assert not (on_near | {wiki["id"]}) & {r["id"] for r in _rows(new, "data")}
    assert _by_id(src) == before, "the source release is untouched"
    with pytest.raises(audit.AuditError):
        audit.forget(str(src), ids=[wiki["id"]], new_output=str(new))  # not empty


def test_a_failed_forget_leaves_the_release_as_it_was(release, tmp_path, monkeypatch):
    copy = tmp_path / "release"
    shutil.copytree(release["out"], copy)
    files = {p.relative_to(copy): p.read_bytes() for p in copy.rglob("*") if p.is_file()}
    row = _rows(copy, "data")[0]

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(audit, "_finish_manifest", crash)
    with pytest.raises(OSError, match="disk full"):
        audit.forget(str(copy), ids=[row["id"]], blocklist=str(tmp_path / "bl.jsonl"))
    assert {p.relative_to(copy): p.read_bytes() for p in copy.rglob("*") if p.is_file()} == files
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bl.jsonl", "release"]
    # The request is in the blocklist all the same: the next run keeps the document out.
    assert row["id"] in (tmp_path / "bl.jsonl").read_text()


def test_forget_refuses_a_release_that_fails_verify(release, tmp_path):
    copy = tmp_path / "release"
    shutil.copytree(release["out"], copy)
    (copy / "data" / "stray.parquet").write_bytes(b"x")
    with pytest.raises(audit.AuditError, match="fails verify"):
        audit.forget(str(copy), ids=["0" * 32], blocklist=str(tmp_path / "bl.jsonl"))


GUIDE = Path(__file__).resolve().parents[2] / "docs" / "auditing.md"


def test_duckdb_queries_of_the_auditing_guide(release):
    """Every SQL block of docs/auditing.md runs on a release (the guide's `out/demo` replaced)."""
    duckdb = pytest.importorskip("duckdb")
    out = release["out"]
    guide = GUIDE.read_text(encoding="utf-8")
    blocks = [b.split("```", 1)[0] for b in guide.split("```sql\n")[1:]]
    assert len(blocks) >= 5
    results = [duckdb.sql(b.replace("out/demo", str(out))).fetchall() for b in blocks]
    # Domain listing, domain summary and provenance find documents in any demo run; what the
    # quality and cluster queries find depends on the sample's pages.
    assert results[0] and results[1] and results[4]
    # The first query lists exactly the documents of the domain, kept and rejected.
    domain = "news.example.kz"
    expected = sorted((r["id"], r["url"]) for r in _all_rows(out)
                      if (urlsplit(r["url"] or "").hostname or "").endswith(domain))
    assert sorted((row[0], row[1]) for row in results[0]) == expected and expected


def test_guide_traces_documents_the_demo_gives(release):
    """The ids the guide traces exist in a run of the demo sample (ids are stable across runs)."""
    import re

    guide = GUIDE.read_text(encoding="utf-8")
    traced = re.findall(r"kazcorpus trace ([0-9a-f]+)", guide)
    assert len(traced) >= 3
    for doc_id in traced:
        assert audit.lookup(str(release["out"]), doc_id) is not None, doc_id
    url = re.search(r"kazcorpus forget out/demo --url (\S+)", guide).group(1)
    assert url in {r["url"] for r in _all_rows(release["out"])}


# --------------------------------------------------------------------------- CLI
def test_cli_trace(release, capsys):
    row = _rows(release["out"], "rejected")[0]
    assert main(["trace", row["id"], "--output", str(release["out"]), "--reproduce"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["id"] == row["id"] and got["reproduced"] is True
    assert main(["trace", "0" * 32, "--output", str(release["out"])]) == 1


def test_cli_forget(release, tmp_path, capsys):
    copy = tmp_path / "release"
    shutil.copytree(release["out"], copy)
    row = _rows(copy, "data")[0]
    rc = main(["forget", str(copy), "--id", row["id"], "--blocklist", str(tmp_path / "bl.jsonl")])
    assert rc == 0
    assert json.loads(capsys.readouterr().out)["forgotten"] >= 1
    assert main(["verify", str(copy)]) == 0


# --------------------------------------------------------------------------- pieces
def test_expand_duplicates_follows_clusters_and_representatives():
    docs = {
        "a": {"cluster": "c1"}, "b": {"cluster": "c1"}, "c": {"duplicate_of": ["b"]},
        "d": {"cluster": "c2", "duplicate_of": ["e"]}, "e": {}, "f": {"cluster": "c3"},
    }
    assert set(audit.expand_duplicates(docs, {"a": "id"})) == {"a", "b", "c"}
    assert set(audit.expand_duplicates(docs, {"d": "url"})) == {"d", "e"}
    assert set(audit.expand_duplicates(docs, {"e": "url"})) == {"d", "e"}
    assert audit.expand_duplicates(docs, {"f": "id"}) == {"f": "id"}


@pytest.mark.parametrize("a, b", [
    ("HTTPS://Example.KZ:443/path?q=1#frag", "https://example.kz/path?q=1"),
    ("http://example.kz", "http://example.kz/"),
    ("https://қазақстан.kz/мақала", "https://xn--80aaa0a6awh12ed.kz/%D0%BC%D0%B0%D2%9B%D0%B0%D0%BB%D0%B0"),
])
def test_normalise_url_equal_spellings(a, b):
    assert audit.normalise_url(a) == audit.normalise_url(b)


def test_normalise_url_keeps_what_matters():
    assert audit.normalise_url("https://example.kz/a") != audit.normalise_url("https://example.kz/b")
    assert audit.normalise_url("https://example.kz/a?x=1") != audit.normalise_url("https://example.kz/a?x=2")
    assert audit.normalise_url("http://example.kz:8080/") != audit.normalise_url("http://example.kz/")


def test_host_in_matches_subdomains_only():
    domains = {audit.domain_key("Example.KZ"), audit.domain_key("https://news.other.kz/x")}
    assert audit.host_in("example.kz", domains) == "example.kz"
    assert audit.host_in("a.b.example.kz", domains) == "example.kz"
    assert audit.host_in("news.other.kz", domains) == "news.other.kz"
    assert audit.host_in("badexample.kz", domains) is None
    assert audit.host_in("other.kz", domains) is None


def _doc(doc_id="x" * 32, url=None, text="мәтін"):
    return Doc(id=doc_id, source="s", url=url, text=text,
               provenance=Provenance(uri="f", text_hash=text_hash(text)))


def test_blocklist_operator_matches_every_kind_and_pickles(tmp_path):
    path = tmp_path / "bl.jsonl"
    path.write_text("\n".join([
        "# takedowns",
        json.dumps({"kind": "id", "value": "A" * 32}),
        json.dumps({"url": "https://Site.kz/page#top"}),
        json.dumps({"domain": "blocked.kz"}),
        json.dumps({"kind": "text_hash", "value": text_hash("жасырын мәтін")}),
        "",
    ]))
    op = pickle.loads(pickle.dumps(audit.BlocklistOperator(path=str(path))))
    cases = [
        (_doc("a" * 32), "id"),
        (_doc(url="https://site.kz/page"), "url"),
        (_doc(url="http://news.blocked.kz/x"), "domain"),
        (_doc(text="жасырын мәтін"), "text_hash"),
        (_doc(url="https://site.kz/other"), None),
        (_doc(url="https://notblocked.kz/"), None),
    ]
    for doc, kind in cases:
        op.annotate(doc)
        reason = op.decide(doc)
        match = doc.annotations["blocklist"]["match"]
        assert (match["kind"] if match else None) == kind, doc
        assert reason == ("takedown" if kind else None)
        assert (doc.text == "") == bool(kind)


def test_blocklist_errors_name_the_line(tmp_path):
    path = tmp_path / "bl.jsonl"
    path.write_text('{"kind": "id", "value": "x"}\n{"nothing": 1}\n')
    with pytest.raises(ValueError, match="line 2"):
        audit.Blocklist.read(str(path))
    with pytest.raises(FileNotFoundError):
        audit.BlocklistOperator(path=str(tmp_path / "missing.jsonl")).annotate(_doc())


def test_short_diff_shows_the_changed_sentence_only():
    a = "Бірінші сөйлем. Екінші сөйлем. Үшінші сөйлем."
    b = "Бірінші сөйлем. Екінші сөйлем! Үшінші сөйлем."
    diff = audit.short_diff(a, b)
    assert "-Екінші сөйлем." in diff and "+Екінші сөйлем! Үшінші сөйлем." not in diff
    assert "+Екінші сөйлем!" in diff
    assert audit.short_diff(a, a) == ""
