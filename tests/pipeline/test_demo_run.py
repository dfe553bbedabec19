"""Golden run of the bundled demo: every stage lands the sample's pages where they belong."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from kazcorpus.pipeline.recipe import demo_recipe
from kazcorpus.pipeline.run import run
from kazcorpus.pipeline.shards import verify


def _run_demo(out: Path):
    recipe = demo_recipe()
    recipe.output = str(out)
    return run(recipe)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    manifest = _run_demo(out)
    return out, manifest


def read_dir(out: Path, sub: str) -> list[dict]:
    rows = []
    for p in sorted((out / sub).glob("*.parquet")):
        rows += pq.read_table(p).to_pylist()
    return rows


@pytest.fixture(scope="module")
def kept(demo):
    return read_dir(demo[0], "data")


@pytest.fixture(scope="module")
def rejected(demo):
    return read_dir(demo[0], "rejected")


def by_url(rows, url):
    found = [r for r in rows if r["url"] == url]
    assert found, f"no document with url {url}"
    return found[0]


def test_layout_and_manifest(demo):
    out, manifest = demo
    assert (out / "manifest.json").is_file() and (out / "README.md").is_file()
    assert list((out / "data").glob("*.parquet")) and list((out / "rejected").glob("*.parquet"))
    on_disk = json.loads((out / "manifest.json").read_text())
    for key in ("run_id", "started", "finished", "code", "packages", "models", "recipe", "inputs",
                "outputs", "funnel", "errors"):
        assert key in on_disk, key
    assert on_disk["models"]["lid.176.ftz"]["sha256"]
    assert {i["path"].rsplit("/", 1)[-1] for i in on_disk["inputs"]} == {
        "news.warc.gz", "kkwiki-sample.xml", "books.jsonl"}
    assert all(len(i["sha256"]) == 64 and i["bytes"] > 0 for i in on_disk["inputs"])
    assert verify(str(out)) == []


def test_funnel_is_consistent(demo):
    funnel = demo[1]["funnel"]
    stages = [f["stage"] for f in funnel]
    assert stages[0] == "extract" and stages[-2:] == ["exact_dedup", "near_dedup"]
    for f in funnel:
        assert f["in"] - f["out"] == sum(f["dropped"].values())
    for a, b in zip(funnel, funnel[1:], strict=False):
        assert a["out"] == b["in"]


def test_kept_rows_match_funnel_and_manifest(demo, kept, rejected):
    manifest = demo[1]
    assert len(kept) == manifest["funnel"][-1]["out"]
    assert len(kept) + len(rejected) == manifest["funnel"][0]["in"]
    rows = {e["path"]: e["rows"] for e in manifest["outputs"] if e["rows"] is not None}
    assert sum(v for k, v in rows.items() if k.startswith("data/")) == len(kept)


def test_kept_documents_are_kazakh_in_cyrillic_and_latin(kept):
    assert kept and {r["lang"] for r in kept} == {"kk"}
    scripts = {r["script"] for r in kept}
    assert {"Cyrl", "Latn"} <= scripts
    assert all(r["provenance"]["run_id"] and r["provenance"]["uri"] for r in kept)


def test_other_languages_are_rejected_by_langid(rejected):
    ru = by_url(rejected, "https://ru.example.kz/news/0")
    assert (ru["rejected_by"], ru["reason"]) == ("langid", "lang_not_kept")
    en = by_url(rejected, "https://en.example.kz/story/0")
    assert en["rejected_by"] == "langid"


def test_exact_copy_is_rejected_with_its_representative(kept, rejected):
    original = by_url(kept, "https://news.example.kz/kk/article/2")
    copy = by_url(rejected, "https://news.example.kz/kk/print/2")
    assert (copy["rejected_by"], copy["reason"]) == ("exact_dedup", "exact_duplicate")
    assert json.loads(copy["annotations"])["exact_dedup"]["duplicate_of"] == original["id"]


def test_near_duplicate_is_rejected_and_clustered(kept, rejected):
    near = [r for r in rejected if r["reason"] == "near_duplicate"]
    assert {r["url"] for r in near} >= {"https://news.example.kz/kk/article/3-updated"} or {
        r["url"] for r in near} >= {"https://news.example.kz/kk/article/3"}
    for r in near:
        assert r["minhash_cluster"] and r["cluster_size"] >= 2


def test_pii_is_redacted_in_kept_text(kept):
    notice = by_url(kept, "https://news.example.kz/kk/notice/1")
    for placeholder in ("<IIN>", "<PHONE>", "<EMAIL>", "<IBAN>", "<CARD>"):
        assert placeholder in notice["text"], placeholder
    assert "erlan.askarov@example.kz" not in notice["text"]
    assert "4111 1111 1111 1111" not in notice["text"]


def test_toxic_page_is_rejected_by_toxicity(rejected):
    toxic = by_url(rejected, "https://forum.example.kz/thread/13")
    assert toxic["rejected_by"] == "toxicity"


def test_spam_page_is_rejected_by_quality(rejected):
    spam = by_url(rejected, "https://shop.example.kz/aktsiya")
    assert spam["rejected_by"] == "quality" and spam["reason"]
    assert json.loads(spam["annotations"])["quality"]["reason"] == spam["reason"]


def test_bad_records_are_counted_not_fatal(demo):
    errors = demo[1]["errors"]
    assert errors.get("bad_json") == 1
    assert sum(v for k, v in errors.items() if k != "bad_json") >= 1  # the cut WARC member


def test_wiki_articles_only(kept, rejected):
    wiki = [r for r in kept + rejected if r["source"] == "demo-kkwiki"]
    titles = {r["title"] for r in wiki}
    assert "Абай Құнанбайұлы" in titles
    assert not any(t and t.startswith("Талқылау:") for t in titles)
    assert "Ел Ордасы" not in titles  # a redirect
    assert all(r["provenance"]["record_id"] for r in wiki)


def test_jsonl_record_id_is_the_input_id(kept, rejected):
    books = [r for r in kept + rejected if r["source"] == "demo-books"]
    assert {r["provenance"]["record_id"] for r in books} >= {"jsonl-0", "jsonl-1", "jsonl-ru"}


def test_ids_are_stable_and_rerun_gives_identical_bytes(demo, tmp_path):
    out, _ = demo
    _run_demo(tmp_path / "again")
    for sub in ("data", "rejected", "index"):
        a = {p.name: p.read_bytes() for p in (out / sub).glob("*.parquet")}
        b = {p.name: p.read_bytes() for p in (tmp_path / "again" / sub).glob("*.parquet")}
        assert a == b, sub


def test_resumed_rerun_into_the_same_folder_is_identical(demo, tmp_path):
    out = tmp_path / "same"
    _run_demo(out)
    first = {p.name: p.read_bytes() for p in (out / "data").glob("*.parquet")}
    _run_demo(out)  # every unit is checkpointed: nothing is read again
    assert first == {p.name: p.read_bytes() for p in (out / "data").glob("*.parquet")}
    assert verify(str(out)) == []


@pytest.mark.slow
def test_multi_process_output_identical_to_in_process(demo, tmp_path):
    out = tmp_path / "mp"
    proc = subprocess.run(
        [sys.executable, "-m", "kazcorpus.pipeline", "run", "--quiet", "--output", str(out), "--",
         "--direct_num_workers=2", "--direct_running_mode=multi_processing"],
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    for sub in ("data", "rejected", "index"):
        a = {p.name: p.read_bytes() for p in (demo[0] / sub).glob("*.parquet")}
        b = {p.name: p.read_bytes() for p in (out / sub).glob("*.parquet")}
        assert a == b, sub


def test_verify_catches_a_flipped_byte(demo, tmp_path):
    import shutil

    out = tmp_path / "copy"
    shutil.copytree(demo[0], out)
    shard = sorted((out / "data").glob("*.parquet"))[0]
    data = bytearray(shard.read_bytes())
    data[len(data) // 2] ^= 0x01
    shard.write_bytes(bytes(data))
    problems = verify(str(out))
    assert any(shard.name in p and "sha256" in p for p in problems)
    proc = subprocess.run([sys.executable, "-m", "kazcorpus.pipeline", "verify", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and shard.name in proc.stdout


def test_bundled_sample_is_what_its_generator_writes(tmp_path):
    from kazcorpus.pipeline.demo import make_sample
    from kazcorpus.pipeline.recipe import demo_dir

    made = make_sample.main(tmp_path)
    for name in ("news.warc.gz", "kkwiki-sample.xml", "books.jsonl"):
        assert (made / name).read_bytes() == (demo_dir() / "sample" / name).read_bytes(), name
