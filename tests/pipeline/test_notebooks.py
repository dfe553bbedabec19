"""Every notebook runs top to bottom, headless, against a fresh demo output.

The kernel is this test's own interpreter (a kernelspec written into a temporary folder), so the
notebooks import the same installed kazcorpus as the tests, whatever kernels the machine has.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")
pd = pytest.importorskip("pandas")

from kazcorpus.pipeline import review  # noqa: E402
from kazcorpus.pipeline.recipe import demo_recipe  # noqa: E402
from kazcorpus.pipeline.run import run  # noqa: E402

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
NAMES = ("review_samples", "tune_thresholds", "corpus_report", "audit_trail")
KERNEL = "kazcorpus-test"


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("nb") / "demo"
    recipe = demo_recipe()
    recipe.output = str(out)
    run(recipe)
    return out


@pytest.fixture(scope="module")
def kernel_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("kernels")
    spec = root / KERNEL
    spec.mkdir()
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "kazcorpus tests", "language": "python",
    }))
    return root


def execute(name: str, out: Path, kernel_dir: Path, monkeypatch, overrides: str = "") -> nbformat.NotebookNode:
    """Run one notebook with KAZCORPUS_OUTPUT=out; `overrides` is code run right after its settings cell."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    if overrides:
        at = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
        nb.cells.insert(at + 1, nbformat.v4.new_code_cell(overrides))
    monkeypatch.setenv(review.OUTPUT_ENV, str(out))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    km = KernelManager(kernel_name=KERNEL, kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernel_dir)]))
    client = nbclient.NotebookClient(nb, km=km, timeout=120, kernel_name=KERNEL,
                                     resources={"metadata": {"path": str(out.parent)}})
    client.execute()  # raises CellExecutionError on the first failing cell
    return nb


def outputs_text(nb) -> str:
    parts = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            parts.append(o.get("text", ""))
            parts += [str(v) for k, v in o.get("data", {}).items() if k.startswith("text/")]
    return "\n".join(parts)


@pytest.mark.parametrize("name", NAMES)
def test_notebook_is_stored_without_outputs(name):
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, "a notebook without code"
    assert all(not c.outputs and c.execution_count is None for c in code), "strip outputs before committing"
    assert nb.cells[0].cell_type == "markdown", "the first cell explains what to do"
    assert any("parameters" in c.metadata.get("tags", []) for c in code), "settings cell tagged 'parameters'"


def test_review_notebook_runs_and_records_nothing_by_itself(demo_out, kernel_dir, monkeypatch):
    nb = execute("review_samples", demo_out, kernel_dir, monkeypatch, "SAMPLE_SIZE = 12\nREVIEWER = 'ci'")
    text = outputs_text(nb)
    assert "A sample of **12** documents" in text
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {})
               for c in nb.cells for o in c.get("outputs", [])), "the review buttons are shown"
    assert not (demo_out / "labels.jsonl").exists()


def test_tune_notebook_precision_matches_the_labels(demo_out, kernel_dir, monkeypatch, tmp_path):
    docs = review.load_docs(demo_out)
    order = review.stage_order(review.load_manifest(demo_out), docs)
    acting = [s for s in order if (docs["rejected_by"] == s).any()]
    assert len(acting) >= 2, f"the demo should drop documents at two stages at least, got {acting}"
    first, last = acting[0], acting[-1]
    by_first = docs[docs["rejected_by"] == first].sort_values("id")
    by_last = docs[docs["rejected_by"] == last].sort_values("id")
    kept = docs[docs["decision"] == "kept"].sort_values("id")
    assert len(kept) >= 3
    labels = tmp_path / "labels.jsonl"
    # last stage: its first drop was wrong (keep), the others right; first stage: all right.
    for i, (_, row) in enumerate(by_last.iterrows()):
        review.record_label(labels, row["id"], "keep" if i == 0 else "drop", doc=row.to_dict())
    for _, row in by_first.iterrows():
        review.record_label(labels, row["id"], "wrong_language", doc=row.to_dict())
    # one kept document is bad (missed by every filter), one is good, one is unsure and must not count.
    review.record_label(labels, kept.iloc[0]["id"], "drop", doc=kept.iloc[0].to_dict())
    review.record_label(labels, kept.iloc[1]["id"], "keep", doc=kept.iloc[1].to_dict())
    review.record_label(labels, kept.iloc[2]["id"], "other", note="unsure")
    results = tmp_path / "results"
    execute("tune_thresholds", demo_out, kernel_dir, monkeypatch,
            f"LABELS_FILE = {str(labels)!r}\nRESULTS_FOLDER = {str(results)!r}\nLANGUAGE = None\n"
            "SCORE = 'lang_score'\nTHRESHOLDS = [0.0, 0.5, 0.9, 1.01]\nCHOSEN_THRESHOLD = 0.6")

    metrics = pd.read_csv(results / "filter_metrics.csv")
    everything = metrics[metrics["lang"] == "all"].set_index("stage")
    n_l, n_f = len(by_last), len(by_first)
    assert everything.loc[last, "precision"] == pytest.approx((n_l - 1) / n_l)
    # bad documents reaching the last stage: the n_l - 1 it dropped and the kept one it let through
    assert everything.loc[last, "recall"] == pytest.approx((n_l - 1) / n_l)
    assert everything.loc[last, "labelled"] == n_l + 2
    assert everything.loc[first, "precision"] == pytest.approx(1.0)
    assert everything.loc[first, "recall"] == pytest.approx(n_f / (n_f + (n_l - 1) + 1))
    assert everything.loc[first, "labelled"] == n_f + n_l + 2
    assert everything.loc["pipeline", "precision"] == pytest.approx((n_l - 1 + n_f) / (n_l + n_f))

    sweep = pd.read_csv(results / "threshold_sweep.csv").set_index("threshold")
    scored = docs["lang_score"].notna()
    assert (sweep["scored"] == scored.sum()).all()
    assert sweep.loc[0.0, "kept"] == scored.sum() and sweep.loc[1.01, "kept"] == 0
    assert sweep.loc[0.5, "kept"] == (docs["lang_score"] >= 0.5).sum()
    assert (results / "threshold_sweep.png").stat().st_size > 1000
    fragment = (results / "recipe_fragment.yaml").read_text()
    assert "langid:\n  min_score: 0.6\n" in fragment


def test_report_notebook_saves_every_plot(demo_out, kernel_dir, monkeypatch, tmp_path):
    report = tmp_path / "report"
    execute("corpus_report", demo_out, kernel_dir, monkeypatch, f"REPORT_FOLDER = {str(report)!r}")
    pngs = sorted(p.name for p in report.glob("*.png"))
    assert pngs == sorted(["funnel.png", "languages.png", "lengths.png", "domains.png", "clusters.png",
                           "reasons_by_source.png"])
    for p in report.glob("*.png"):
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_audit_notebook_traces_reproduces_and_verifies(demo_out, kernel_dir, monkeypatch):
    docs = review.load_docs(demo_out)
    news = docs[(docs["source"] == "demo-news") & (docs["decision"] == "kept")].sort_values("id")
    doc_id = news.iloc[0]["id"]
    nb = execute("audit_trail", demo_out, kernel_dir, monkeypatch, f"DOC_ID = {doc_id[:10]!r}")
    text = outputs_text(nb)
    assert doc_id in text
    assert "**Yes**" in text, "the demo's WARC records reproduce"
    assert "**Verified**" in text


def test_metrics_helper_gives_nan_not_zero_without_drops():
    # A precision over nothing is unknown, not 0: the notebook shows "–" for it.
    docs = pd.DataFrame({"id": ["a"], "lang": ["kk"], "script": ["Cyrl"], "source": ["s"], "decision": ["kept"],
                         "rejected_by": [None], "reason": [None]})
    m = review.filter_metrics(docs, {"a": {"id": "a", "label": "keep"}}, ["langid"])
    row = m[(m["stage"] == "langid") & (m["lang"] == "all")].iloc[0]
    assert math.isnan(row["precision"]) and row["passed_good"] == 1


def _parse(argv):
    import argparse

    from kazcorpus.pipeline import notebooks_cli

    parser = argparse.ArgumentParser(prog="kazcorpus")
    notebooks_cli.add_parser(parser.add_subparsers(dest="command"))
    return notebooks_cli, parser.parse_args(["notebooks", *argv])


def test_cli_launches_jupyterlab_on_the_output(demo_out, monkeypatch):
    cli, args = _parse(["--output", str(demo_out), "--no-browser", "--port", "8899"])
    monkeypatch.setattr(cli.importlib.util, "find_spec", lambda name: object())
    seen = {}

    def fake_call(cmd, env):
        seen.update(cmd=cmd, env=env)
        return 0

    monkeypatch.setattr(cli.subprocess, "call", fake_call)
    assert cli.main(args) == 0
    assert seen["cmd"][1:3] == ["-m", "jupyterlab"] and Path(seen["cmd"][3]) == NOTEBOOKS
    assert "--no-browser" in seen["cmd"] and "--port=8899" in seen["cmd"]
    assert seen["env"][review.OUTPUT_ENV] == str(demo_out.resolve())


def test_cli_without_jupyter_says_how_to_install(demo_out, monkeypatch, capsys):
    cli, args = _parse([])
    real = cli.importlib.util.find_spec
    monkeypatch.setattr(cli.importlib.util, "find_spec", lambda name: None if name == "jupyterlab" else real(name))
    monkeypatch.setattr(cli.subprocess, "call", lambda *a, **k: pytest.fail("must not launch"))
    assert cli.main(args) == 1
    err = capsys.readouterr().err
    assert "make notebooks" in err and "kazcorpus[notebooks]" in err and "jupyterlab" in err


def test_cli_bad_output_is_a_usage_error(tmp_path, monkeypatch, capsys):
    cli, args = _parse(["--output", str(tmp_path)])
    monkeypatch.setattr(cli.importlib.util, "find_spec", lambda name: object())
    monkeypatch.setattr(cli.subprocess, "call", lambda *a, **k: pytest.fail("must not launch"))
    assert cli.main(args) == 2
    assert "not a kazcorpus output folder" in capsys.readouterr().err
