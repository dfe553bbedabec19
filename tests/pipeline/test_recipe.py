"""Recipes are validated before any work starts; errors name the key and exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from kazcorpus.pipeline.recipe import Recipe, RecipeError, expand_inputs, load_recipe, parse_recipe


def write(tmp_path: Path, data) -> Path:
    p = tmp_path / "recipe.yaml"
    p.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return p


@pytest.fixture
def base(tmp_path):
    (tmp_path / "a.jsonl").write_text('{"text": "x"}\n', encoding="utf-8")
    return {"inputs": [{"path": "a.jsonl", "source": "s"}], "output": "out"}


def test_contract_example_recipe_is_valid(tmp_path):
    (tmp_path / "data" / "crawl").mkdir(parents=True)
    (tmp_path / "data" / "crawl" / "x.warc.gz").write_bytes(b"")
    data = yaml.safe_load("""
inputs:
  - path: data/crawl/*.warc.gz
    source: kz-news-crawl
    kind: warc
output: out/run1
langid:   {enabled: true, keep: [kk], min_score: 0.5}
pii:      {enabled: true}
quality:  {enabled: true}
toxicity: {enabled: true}
dedup:    {exact: true, minhash: true, backend: cpu}
""")
    recipe = parse_recipe(data, base=tmp_path)
    files = expand_inputs(recipe)
    assert [(s, k) for _, _, s, k in files] == [("kz-news-crawl", "warc")]
    assert recipe.output == str(tmp_path / "out" / "run1")


@pytest.mark.parametrize(
    ("patch", "named"),
    [
        ({"unknown_key": 1}, "unknown_key"),
        ({"langid": {"enabled": True, "min_scor": 0.5}}, "langid.min_scor"),
        ({"langid": {"min_score": 1.5}}, "langid.min_score"),
        ({"dedup": {"backend": "tpu"}}, "dedup.backend"),
        ({"inputs": [{"path": "a.jsonl", "kind": "pdf"}]}, "inputs.0.kind"),
        ({"output": None}, "output"),
    ],
)
def test_bad_recipe_names_the_key(tmp_path, base, patch, named):
    with pytest.raises(RecipeError) as err:
        load_recipe(write(tmp_path, {**base, **patch}))
    assert named in str(err.value)


def test_missing_input_is_a_recipe_error(tmp_path, base):
    recipe = load_recipe(write(tmp_path, {**base, "inputs": [{"path": "nope/*.warc.gz"}]}))
    with pytest.raises(RecipeError, match=r"inputs\[0\]\.path"):
        expand_inputs(recipe)


def test_every_stage_accepts_enabled_false(tmp_path, base):
    sections = [k for k, f in Recipe.model_fields.items() if hasattr(f.annotation, "model_fields")
                and "enabled" in f.annotation.model_fields]
    assert {"langid", "pii", "quality", "toxicity", "dedup"} <= set(sections)
    recipe = load_recipe(write(tmp_path, {**base, **{s: {"enabled": False} for s in sections}}))
    assert all(not getattr(recipe, s).enabled for s in sections)


def test_cli_exits_2_naming_the_key(tmp_path, base):
    path = write(tmp_path, {**base, "dedup": {"minhsh": True}})
    proc = subprocess.run([sys.executable, "-m", "kazcorpus.pipeline", "run", str(path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "dedup.minhsh" in proc.stderr


def test_dry_run_prints_resolved_recipe_and_files(tmp_path, base):
    path = write(tmp_path, base)
    proc = subprocess.run([sys.executable, "-m", "kazcorpus.pipeline", "run", str(path), "--dry-run"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert '"min_score": 0.5' in proc.stdout and str(tmp_path / "a.jsonl") in proc.stdout
    assert not (tmp_path / "out").exists()


def test_every_recipe_key_is_read_by_the_code():
    """A key nobody reads is a lie in the recipe (cc_net's Config.cutoff): grep the code for each."""
    root = Path(__file__).resolve().parents[2]
    code = "\n".join(p.read_text(encoding="utf-8") for d in ("pipeline", "filters", "sources")
                     for p in (root / d).rglob("*.py") if p.name != "recipe.py")
    unused = []

    def walk(model, prefix):
        for name, field in model.model_fields.items():
            sub = field.annotation
            if hasattr(sub, "model_fields"):
                walk(sub, f"{prefix}{name}.")
            elif name != "enabled" and f".{name}" not in code and f'"{name}"' not in code:
                unused.append(prefix + name)

    walk(Recipe, "")
    assert not unused, f"recipe keys no code reads: {unused}"
