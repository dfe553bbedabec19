"""The command line keeps its contract: help with examples, exit codes, generated reference docs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kazcorpus.pipeline import docs

REPO = Path(__file__).resolve().parents[2]
CONTRACT_COMMANDS = ("run", "annotate", "crawl", "trace", "verify")


def kazcorpus(*args, stdin=None, timeout=300):
    return subprocess.run([sys.executable, "-m", "kazcorpus.pipeline", *args], input=stdin,
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("command", docs.available_commands())
def test_every_command_has_help_with_an_example(command):
    proc = kazcorpus(command, "--help")
    assert proc.returncode == 0
    assert "example" in proc.stdout.lower() and f"kazcorpus {command}" in proc.stdout


def test_contract_commands_exist():
    assert set(CONTRACT_COMMANDS) <= set(docs.available_commands())


def test_reference_doc_is_generated_from_the_code():
    assert docs.reference_path().read_text(encoding="utf-8") == docs.render(), (
        "docs/reference.md is stale: run `python -m kazcorpus.pipeline.docs`")


def test_readme_documents_every_command_and_section():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert readme.lstrip().startswith("# kazcorpus")
    head = readme[:1500]
    assert "make demo" in head and "make test" in head
    for cmd in docs.available_commands():
        assert f"kazcorpus {cmd}" in readme, cmd
    top_sections = {k.split(".")[0].split("[")[0] for k, _, _ in docs.recipe_keys()}
    for section in top_sections:
        assert f"`{section}" in readme or f"{section}:" in readme, f"recipe section {section} not in README"
    assert "docs/reference.md" in readme


def test_unknown_command_and_bad_option_exit_2():
    assert kazcorpus("frobnicate").returncode == 2
    assert kazcorpus("run", "--no-such-option").returncode == 2


def test_verify_of_a_missing_folder_exits_1_with_a_reason(tmp_path):
    proc = kazcorpus("verify", str(tmp_path / "nope"))
    assert proc.returncode == 1 and "manifest.json" in proc.stdout + proc.stderr


def test_annotate_keeps_order_and_shows_decisions():
    lines = [
        json.dumps({"text": "Қазақстан — Орталық Азиядағы ең үлкен мемлекет, оның астанасы Астана қаласы.",
                    "id": "a"}, ensure_ascii=False),
        "Москва — столица Российской Федерации и крупнейший город страны.",
        json.dumps({"text": "Жазыңыз: test.user@example.kz"}, ensure_ascii=False),
    ]
    proc = kazcorpus("annotate", stdin="\n".join(lines) + "\n")
    assert proc.returncode == 0, proc.stderr
    out = [json.loads(x) for x in proc.stdout.splitlines()]
    assert len(out) == 3
    assert out[0]["id"] == "a" and out[0]["langid"]["lang"] == "kk" and out[0]["langid"]["script"] == "Cyrl"
    assert 0 <= out[0]["langid"]["lang_score"] <= 1
    assert out[1]["langid"]["lang"] == "ru" and out[1]["langid"]["keep"] is False
    assert out[1]["text"].startswith("Москва")  # the input is echoed, never rewritten
    assert "<EMAIL>" in out[2]["pii"]["text"]
    assert out[2]["pii"]["pii"][0]["kind"].upper() == "EMAIL"
    for rec in out:
        for stage in ("quality", "toxicity"):
            assert set(rec[stage]) >= {"keep", "reason"}


def test_annotate_rejects_an_unknown_stage():
    proc = kazcorpus("annotate", "--stages", "langid,nope", stdin="x\n")
    assert proc.returncode == 2 and "nope" in proc.stderr
