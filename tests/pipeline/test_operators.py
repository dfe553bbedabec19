"""Operators pickle before setup, and `annotate` decides exactly as the Beam graph does."""

from __future__ import annotations

import io
import json
import pickle
from pathlib import Path

import pyarrow.parquet as pq

from kazcorpus.pipeline.annotate import annotate_stream
from kazcorpus.pipeline.operators import run_operators
from kazcorpus.pipeline.recipe import parse_recipe
from kazcorpus.pipeline.record import Doc, Provenance
from kazcorpus.pipeline.run import run
from kazcorpus.pipeline.stages import MEASURE_STAGES, build_operators

DEMO = Path(__file__).resolve().parents[2] / "pipeline" / "demo" / "sample" / "books.jsonl"


def _recipe(tmp_path, inputs, **extra):
    return parse_recipe({"inputs": inputs, "output": str(tmp_path / "out"), **extra}, base=tmp_path)


def test_every_operator_pickles_before_and_after_setup(tmp_path):
    ops = build_operators(_recipe(tmp_path, [{"path": "x.jsonl"}]))
    assert {op.stage for op in ops} >= {"extract", "clean", "langid", "quality", "toxicity", "pii"}
    for op in ops:
        clone = pickle.loads(pickle.dumps(op))
        assert type(clone) is type(op)
        op.setup()
        again = pickle.loads(pickle.dumps(op))  # loaded models stay behind
        doc = Doc(id="1", source="t", provenance=Provenance(uri="-"),
                  text="Қазақстан Республикасы Орталық Азияда орналасқан үлкен мемлекет.")
        run_operators(doc, [again])
        assert doc.annotations.get(op.stage) is not None or op.stage in ("extract",)


def test_run_operators_turns_an_exception_into_a_counted_drop():
    class Broken:
        stage = "broken"

        def setup(self):
            pass

        def annotate(self, doc):
            raise ValueError("boom")

        def decide(self, doc):
            return None

    doc = run_operators(Doc(id="1", source="t", provenance=Provenance(uri="-"), text="x"), [Broken()])
    assert (doc.rejected_by, doc.reason) == ("broken", "broken_error")
    assert "boom" in doc.annotations["errors"][0]


def test_annotate_and_the_beam_graph_make_the_same_decisions(tmp_path):
    lines = [json.loads(x) for x in DEMO.read_text(encoding="utf-8").splitlines() if x.startswith("{\"")]
    lines += [
        {"id": "short", "text": "Сәлем!"},
        {"id": "en", "text": "The council approved a plan for public transport in the city next year. " * 8},
        {"id": "toxic", "text": lines[0]["text"] + "\n\nда пошёл ты нахуй, блять, пиздец, сука ебаная, хуйло."},
    ]
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n", encoding="utf-8")
    recipe = _recipe(tmp_path, [{"path": "in.jsonl", "source": "t"}], dedup={"enabled": False},
                     clean={"enabled": False})
    run(recipe)
    graph = {}
    for sub in ("data", "rejected"):
        for p in (tmp_path / "out" / sub).glob("*.parquet"):
            for r in pq.read_table(p).to_pylist():
                graph[r["provenance"]["record_id"]] = r.get("rejected_by")
    out = io.StringIO()
    annotate_stream(io.StringIO(src.read_text(encoding="utf-8")), out, stages=list(MEASURE_STAGES), recipe=recipe)
    seen = 0
    for rec in map(json.loads, out.getvalue().splitlines()):
        first_drop = next((s for s in MEASURE_STAGES if s in rec and not rec[s]["keep"]), None)
        assert graph[rec["id"]] == first_drop, rec["id"]
        seen += 1
    assert seen == len(lines) and set(graph.values()) >= {None, "langid", "toxicity"}
