"""Manifest helpers: the dataset card and the run statistics combiner."""

from __future__ import annotations

from collections import Counter

from kazcorpus.pipeline.graph import MAX_ERROR_SAMPLES, MergeStats
from kazcorpus.pipeline.shards import dataset_card, funnel


def _manifest(inputs):
    return {"run_id": "r", "code": {"kazcorpus": "0", "git_commit": None}, "recipe_hash": "h",
            "started": "s", "finished": "f", "inputs": inputs, "errors": {"missing_file": 1},
            "funnel": funnel(["extract"], 2, {("extract", "no_text_extracted"): 1})}


def test_card_survives_an_input_that_vanished_before_it_was_hashed():
    card = dataset_card(_manifest([{"path": "a", "bytes": 10}, {"path": "b", "bytes": None}]),
                        {"kept": 1, "rejected": 1, "by_lang": {}, "by_source": {}})
    assert "from 2 input files (10 bytes)" in card and "missing_file: 1" in card


def test_merge_stats_adds_counters_and_ints_and_cuts_samples_in_order():
    fn = MergeStats()
    acc = fn.create_accumulator()
    for i in range(2 * MAX_ERROR_SAMPLES + 5):
        acc = fn.add_input(acc, {"errors": Counter({"bad": 1}), "total": 1,
                                 "error_samples": [{"uri": f"f{i:06d}", "offset": None, "reason": "bad"}]})
    other = fn.add_input(fn.create_accumulator(), {"errors": Counter({"worse": 2}), "total": 1,
                                                   "error_samples": []})
    out = fn.extract_output(fn.merge_accumulators([acc, other]))
    assert out["errors"] == Counter({"bad": 2 * MAX_ERROR_SAMPLES + 5, "worse": 2})
    assert out["total"] == 2 * MAX_ERROR_SAMPLES + 6
    assert [e["uri"] for e in out["error_samples"]] == [f"f{i:06d}" for i in range(MAX_ERROR_SAMPLES)]
