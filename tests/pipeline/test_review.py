"""The functions behind the review notebooks: loading, sampling, rendering, labels, metrics, fragments."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

pd = pytest.importorskip("pandas")

from kazcorpus.pipeline import review  # noqa: E402
from kazcorpus.pipeline.recipe import RecipeError, demo_recipe, parse_recipe  # noqa: E402
from kazcorpus.pipeline.record import Doc, Provenance, to_table  # noqa: E402


def make_doc(i: int, *, lang="kk", script="Cyrl", source="news", rejected_by=None, reason=None,
             text=None, ann=None, url=None) -> Doc:
    d = Doc(id=f"{i:032x}", source=source, provenance=Provenance(uri="x.jsonl", record_id=str(i)),
            text=text if text is not None else f"Мәтін {i} " * 5, url=url or f"https://site{i % 3}.kz/{i}",
            lang=lang, script=script, lang_score=0.5 + (i % 5) / 10, annotations=ann or {})
    if rejected_by:
        d.drop(rejected_by, reason)
    return d


def write_output(out: Path, kept: list[Doc], rejected: list[Doc], funnel=None) -> Path:
    import pyarrow.parquet as pq

    (out / "data").mkdir(parents=True)
    (out / "rejected").mkdir()
    pq.write_table(to_table(kept), out / "data" / "a.parquet")
    if rejected:
        pq.write_table(to_table(rejected, rejected=True), out / "rejected" / "a.parquet")
    (out / "manifest.json").write_text(json.dumps({"funnel": funnel or [
        {"stage": "langid", "in": 1, "out": 1, "dropped": {}},
        {"stage": "quality", "in": 1, "out": 1, "dropped": {}}]}))
    return out


@pytest.fixture
def synthetic(tmp_path) -> Path:
    kept = [make_doc(i, ann={"quality": {"stop_words": i % 7}}) for i in range(30)]
    kept += [make_doc(100 + i, lang="kk", script="Latn", source="books") for i in range(3)]
    rejected = [make_doc(200 + i, lang="ru", rejected_by="langid", reason="lang_not_kept") for i in range(20)]
    rejected += [make_doc(300 + i, rejected_by="quality", reason="too_few_stop_words",
                          ann={"quality": {"stop_words": i % 2}}) for i in range(2)]
    return write_output(tmp_path / "out", kept, rejected)


def test_load_docs_joins_kept_and_rejected(synthetic):
    docs = review.load_docs(synthetic)
    assert len(docs) == 55
    assert (docs["decision"] == "kept").sum() == 33
    kept = docs[docs["decision"] == "kept"]
    assert kept["rejected_by"].isna().all() and all(r is None for r in kept["reason"])
    assert set(docs.loc[docs["decision"] == "rejected", "stratum"]) == {
        "rejected:lang_not_kept", "rejected:too_few_stop_words"}
    assert docs["domain"].str.startswith("site").all()
    assert all(isinstance(a, dict) for a in docs["ann"])


def test_output_dir_prefers_argument_then_env_then_newest_demo(synthetic, tmp_path, monkeypatch):
    assert review.output_dir(synthetic) == synthetic.resolve()
    monkeypatch.setenv(review.OUTPUT_ENV, str(synthetic))
    assert review.output_dir() == synthetic.resolve()
    with pytest.raises(FileNotFoundError, match="not a kazcorpus output"):
        review.output_dir(tmp_path / "nothing")
    root = tmp_path / "repo"
    for name, mtime in (("demo", 100), ("demo2", 300), ("demo3", 200)):
        (root / "out" / name).mkdir(parents=True)
        manifest = root / "out" / name / "manifest.json"
        manifest.write_text("{}")
        os.utime(manifest, (mtime, mtime))
    assert review.default_output([root]).name == "demo2"
    assert review.default_output([tmp_path / "empty"]) is None


def test_sample_is_reproducible_and_covers_every_group(synthetic):
    docs = review.load_docs(synthetic)
    a = review.stratified_sample(docs, 8, seed=7)
    b = review.stratified_sample(docs.sample(frac=1, random_state=3), 8, seed=7)  # row order must not matter
    assert list(a["id"]) == list(b["id"])
    assert len(a) == 8 and a["id"].is_unique
    # four groups; the rare ones (3 Latin books, 2 quality drops) are in, not swamped by the 30 kept
    assert set(a["group"]) == {"kk | Cyrl | news | kept", "kk | Latn | books | kept",
                               "ru | Cyrl | news | rejected:lang_not_kept",
                               "kk | Cyrl | news | rejected:too_few_stop_words"}
    assert review.stratified_sample(docs, 8, seed=8)["id"].tolist() != a["id"].tolist()
    everything = review.stratified_sample(docs, 500, seed=1)
    assert len(everything) == len(docs)
    summary = review.sample_summary(a)
    assert summary["documents"].sum() == 8


def test_render_highlights_placeholders_toxic_language_and_boilerplate():
    text = "Хабарласыңыз <PHONE> немесе ақымақ сөз. Это русский кусок."
    start = text.index("ақымақ")
    ann = {"toxicity": {"matches": [{"start": start, "end": start + 6}, "сөз"]},
           "langid": {"spans": [{"start": 0, "end": text.index("Это"), "lang": "kk"},
                                {"start": text.index("Это"), "end": len(text), "lang": "ru"}]},
           "clean": {"examples": ["Барлық құқықтар қорғалған <script>"]}}
    html = review.render_html({"id": "x", "text": text, "lang": "kk", "script": "Cyrl", "source": "s",
                               "annotations": json.dumps(ann), "rejected_by": "toxicity", "reason": "toxic"})
    assert 'title="personal data, replaced">&lt;PHONE&gt;</span>' in html
    assert 'title="toxic match">ақымақ</span>' in html and 'title="toxic match">сөз</span>' in html
    assert 'title="language: ru">' in html and 'title="language: kk"' not in html
    assert "<s>Барлық құқықтар қорғалған &lt;script&gt;</s>" in html  # escaped, never executed
    assert "Dropped" in html and "offensive" in html
    kept = review.render_html({"id": "y", "text": "<b>x</b>", "lang": float("nan"), "rejected_by": float("nan")})
    assert "Kept" in kept and "&lt;b&gt;x&lt;/b&gt;" in kept


def test_render_survives_missing_or_odd_annotations():
    for ann in ({}, {"toxicity": {"matches": "bad"}}, {"langid": {"spans": [[0, 3, "ru"], "odd", {"start": 5}]}},
                {"toxicity": None, "clean": {"examples": [{"line": 1}]}}):
        html = review.render_html({"id": "z", "text": "сәлем әлем", "ann": ann})
        assert "сәлем" in html or "сәл" in html


def test_overlapping_highlights_both_kept():
    marks = [(0, 10, "lang", "language: ru"), (3, 6, "pii", "personal data, replaced")]
    out = review._render_text("0123456789", marks)
    assert out.count("language: ru") == 3  # split at the inner mark's edges, all three pieces coloured
    assert out.count("personal data") == 1


def test_explain_reason():
    assert "repeated" in review.explain_reason("too_many_duplicate_8_grams")
    assert review.explain_reason("some_new_reason") == "some new reason"
    assert review.explain_reason(None) == ""


def test_labels_round_trip_last_wins_and_survive_torn_line(tmp_path):
    path = tmp_path / "sub" / "labels.jsonl"
    review.record_label(path, "a", "keep", reviewer="Айгүл", doc={"lang": "kk", "decision": "kept", "reason": None})
    review.record_label(path, "b", "drop", note="спам")
    review.record_label(path, "a", "wrong_language", note="бұл орысша")
    with path.open("a") as f:
        f.write('{"id": "c", "label": "ke')  # the machine died mid-write
    labels = review.load_labels(path)
    assert set(labels) == {"a", "b"}
    assert labels["a"]["label"] == "wrong_language" and labels["a"]["note"] == "бұл орысша"
    assert labels["b"]["note"] == "спам"
    review.record_label(path, "b", None)
    assert set(review.load_labels(path)) == {"a"}
    assert review.compact_labels(path) == 1
    assert len(path.read_text().splitlines()) == 1
    assert review.load_labels(path)["a"]["label"] == "wrong_language"
    with pytest.raises(ValueError, match="label must be one of"):
        review.record_label(path, "a", "maybe")


def test_session_and_buttons_record_and_resume(synthetic, tmp_path):
    pytest.importorskip("ipywidgets")
    docs = review.load_docs(synthetic)
    sample = review.stratified_sample(docs, 5, seed=1)
    path = tmp_path / "labels.jsonl"
    session = review.ReviewSession(sample, path, reviewer="tester")
    widget = review.review_widget(session)
    widget.note.value = "ok"
    widget.buttons["keep"].click()
    widget.buttons["wrong_language"].click()
    assert session.position == 2 and session.done == 2
    assert "document 3 of 5" in session.progress()
    labels = review.load_labels(path)
    assert labels[sample["id"][0]]["label"] == "keep" and labels[sample["id"][0]]["note"] == "ok"
    assert labels[sample["id"][1]]["label"] == "wrong_language" and labels[sample["id"][1]]["reviewer"] == "tester"
    assert labels[sample["id"][0]]["decision"] == sample["decision"][0]

    # a restart opens at the first unjudged document; going back and relabelling overwrites
    again = review.ReviewSession(sample, path)
    assert again.position == 2
    again.previous()
    again.label("drop")
    assert review.load_labels(path)[sample["id"][1]]["label"] == "drop"
    for lab in ("keep", "other", "keep"):
        again.label(lab)
    assert again.current is None and again.done == 5 and "All documents" in again.render()
    with pytest.raises(IndexError):
        again.label("keep")


def test_filter_metrics_counts_only_documents_that_reached_the_filter(synthetic):
    docs = review.load_docs(synthetic)
    ids = {r: docs[docs["reason"] == r]["id"].tolist() for r in ("lang_not_kept", "too_few_stop_words")}
    kept = docs[docs["decision"] == "kept"]["id"].tolist()
    labels = {}
    for i in ids["lang_not_kept"][:4]:
        labels[i] = {"id": i, "label": "wrong_language"}
    labels[ids["lang_not_kept"][4]] = {"id": ids["lang_not_kept"][4], "label": "keep"}
    labels[ids["too_few_stop_words"][0]] = {"id": ids["too_few_stop_words"][0], "label": "drop"}
    labels[kept[0]] = {"id": kept[0], "label": "drop"}
    labels[kept[1]] = {"id": kept[1], "label": "keep"}
    labels[kept[2]] = {"id": kept[2], "label": "other"}
    m = review.filter_metrics(docs, labels, ["langid", "quality"]).set_index(["stage", "lang"])
    # stages that dropped nothing here are left out, and must not shift who reached what
    wider = review.filter_metrics(docs, labels, ["extract", "langid", "toxicity", "quality", "exact_dedup"])
    pd.testing.assert_frame_equal(wider.set_index(["stage", "lang"]), m)
    assert m.loc[("langid", "all"), "precision"] == pytest.approx(4 / 5)
    assert m.loc[("langid", "all"), "recall"] == pytest.approx(4 / 6)  # two bad ones reached it and passed
    assert m.loc[("quality", "all"), "labelled"] == 3  # the langid drops never reached quality
    assert m.loc[("quality", "all"), "precision"] == 1.0
    assert m.loc[("quality", "all"), "recall"] == pytest.approx(1 / 2)
    assert m.loc[("langid", "ru"), "precision"] == pytest.approx(4 / 5)
    assert ("quality", "ru") not in m.index
    assert m.loc[("pipeline", "all"), "dropped_bad"] == 5 and m.loc[("pipeline", "all"), "passed_good"] == 1


def test_filter_metrics_uses_the_label_snapshot_when_the_doc_is_gone(synthetic):
    docs = review.load_docs(synthetic)
    labels = {"gone": {"id": "gone", "label": "drop", "lang": "kk", "rejected_by": "quality"}}
    m = review.filter_metrics(docs, labels, ["langid", "quality"]).set_index(["stage", "lang"])
    assert m.loc[("quality", "kk"), "dropped_bad"] == 1


def test_threshold_sweep_counts(synthetic):
    docs = review.load_docs(synthetic)
    scored = review.score_values(docs, "quality.stop_words")
    assert scored.notna().sum() == 32
    bad = docs[(docs["decision"] == "kept") & (scored == 0)]["id"].tolist()
    good = docs[(docs["decision"] == "kept") & (scored == 6)]["id"].tolist()
    labels = {i: {"id": i, "label": "drop"} for i in bad} | {i: {"id": i, "label": "keep"} for i in good}
    sweep = review.threshold_sweep(docs, labels, "quality.stop_words", [0, 1, 7], direction="min").set_index("threshold")
    assert sweep.loc[0, "kept"] == 32 and sweep.loc[0, "newly_kept"] == 2  # the two quality drops come back
    expected_kept_at_1 = int((scored >= 1).sum())
    assert sweep.loc[1, "kept"] == expected_kept_at_1
    assert sweep.loc[1, "bad_dropped"] == len(bad) and sweep.loc[1, "good_dropped"] == 0
    assert sweep.loc[1, "precision"] == 1.0 and sweep.loc[1, "recall"] == 1.0
    assert sweep.loc[7, "kept"] == 0 and sweep.loc[7, "good_dropped"] == len(good)
    maxed = review.threshold_sweep(docs, {}, "quality.stop_words", [0], direction="max")
    assert maxed.iloc[0]["kept"] == int((scored == 0).sum())
    auto = review.threshold_sweep(docs, {}, "lang_score", lang="ru")
    assert auto["scored"].eq(20).all() and auto["threshold"].is_monotonic_increasing
    with pytest.raises(ValueError):
        review.threshold_sweep(docs, {}, "lang_score", direction="up")


def test_recipe_fragment_is_validated_and_loadable(tmp_path):
    import yaml

    path = review.write_recipe_fragment(tmp_path / "f.yaml", {"langid.min_score": 0.7,
                                                              "quality.thresholds.kk.min_stop_words": 3},
                                        comment="from 50 labels")
    text = path.read_text()
    assert text.startswith("# from 50 labels\n")
    data = yaml.safe_load(text)
    assert data == {"langid": {"min_score": 0.7}, "quality": {"thresholds": {"kk": {"min_stop_words": 3}}}}
    merged = demo_recipe().model_dump(mode="json")
    merged["langid"].update(data["langid"])
    assert parse_recipe(merged).langid.min_score == 0.7
    with pytest.raises(RecipeError, match="langid.min_scor"):
        review.recipe_fragment({"langid.min_scor": 0.7})
    with pytest.raises(RecipeError, match="langid.min_score"):
        review.recipe_fragment({"langid.min_score": 7})


def test_plots_write_png_even_when_empty(synthetic, tmp_path):
    pytest.importorskip("matplotlib")
    paths = review.save_report(synthetic, tmp_path / "r")
    assert len(paths) == 6
    for p in paths.values():
        assert p.read_bytes()[:4] == b"\x89PNG"
    empty = write_output(tmp_path / "empty", [], [], funnel=[])
    for p in review.save_report(empty, tmp_path / "r2").values():
        assert p.stat().st_size > 0
    sweep = review.threshold_sweep(review.load_docs(synthetic), {}, "quality.stop_words")
    assert review.plot_sweep(sweep, tmp_path / "s.png").stat().st_size > 1000


def test_texts_can_be_left_behind_and_fetched_for_a_sample(synthetic):
    full = review.load_docs(synthetic).set_index("id")
    light = review.load_docs(synthetic, text=False)
    assert light["text"].isna().all()
    assert (light.set_index("id")["n_chars"] == full["n_chars"]).all() and (full["n_chars"] > 0).all()
    sample = review.stratified_sample(light, 6, seed=2)
    filled = review.attach_text(sample)
    assert list(filled["text"]) == [full.loc[i, "text"] for i in sample["id"]]
    assert sample["text"].isna().all()  # the caller's frame is left as it was
