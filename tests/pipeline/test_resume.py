"""A run killed part-way (SIGKILL) and started again resumes from its per-unit checkpoints.

The input is generated here: several small WARC files of HTML pages, so extraction (the checkpointed,
expensive stage) runs on every record and each file is one work unit.  The test

1. runs the recipe uninterrupted and sets that output aside as the reference;
2. runs it again into the same output path, and SIGKILLs the whole process group as soon as some
   (not all) unit checkpoints exist under OUT/_work/<run_id>/units/;
3. runs it a third time, and checks that every checkpoint present at the kill was reused (same
   inode and modification time: not re-extracted), that the missing units were done, and that the
   released shards in data/ and rejected/ are byte-identical to the reference.

The reference is written to the same output path (then moved) because the run id, which is stored
on every row, is derived from the resolved recipe, output folder included.
"""

from __future__ import annotations

import gzip
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

N_FILES = 10
PAGES_PER_FILE = 14

WORDS = (
    "қазақстан республикасы мемлекет халық тіл мәдениет тарих ел астана алматы өзен тау дала "
    "ғылым білім мектеп университет кітап жазушы ақын әдебиет өнер музыка ән би театр газет "
    "жаңалық бүгін ертең кеше жыл ай күн уақыт адам бала ана әке отбасы үй жұмыс еңбек қала ауыл "
    "жер су ауа табиғат орман көл теңіз жол көлік поезд ұшақ саяхат қонақ дос сөз хат бағдарлама "
    "экономика өндіріс ауыл шаруашылығы сауда банк ақша баға нарық кәсіпорын компания зауыт"
).split()


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 16))]
    return " ".join(words).capitalize() + "."


def _page(rng: random.Random, title: str) -> bytes:
    paragraphs = "".join(
        f"<p>{' '.join(_sentence(rng) for _ in range(rng.randint(3, 6)))}</p>\n" for _ in range(rng.randint(4, 9))
    )
    html = (
        f"<!DOCTYPE html><html lang='kk'><head><meta charset='utf-8'><title>{title}</title></head>"
        f"<body><nav><a href='/'>Басты бет</a> | <a href='/news'>Жаңалықтар</a></nav>"
        f"<article><h1>{title}</h1>\n{paragraphs}</article><footer>© 2024</footer></body></html>"
    )
    return html.encode("utf-8")


def _warc_record(url: str, record_id: str, body: bytes) -> bytes:
    """One gzip member holding one WARC/1.0 response record (written by hand: no writer library)."""
    http = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
    head = (
        "WARC/1.0\r\nWARC-Type: response\r\n"
        f"WARC-Record-ID: <urn:uuid:{record_id}>\r\nWARC-Date: 2024-05-01T10:00:00Z\r\n"
        f"WARC-Target-URI: {url}\r\nContent-Type: application/http; msgtype=response\r\n"
        f"Content-Length: {len(http)}\r\n\r\n"
    ).encode()
    return gzip.compress(head + http + b"\r\n\r\n", mtime=0)


def _make_inputs(folder: Path) -> None:
    rng = random.Random(7)
    folder.mkdir()
    for f in range(N_FILES):
        bodies = [_page(rng, f"Мақала {f * PAGES_PER_FILE + i}") for i in range(PAGES_PER_FILE)]
        bodies[3] = bodies[0]  # an exact duplicate: exact dedup rejects one of the two
        bodies[5] = b"<html><body></body></html>"  # nothing to extract
        members = [
            _warc_record(f"https://example.kz/{f}/{i}", f"00000000-0000-4000-8000-{f * PAGES_PER_FILE + i:012d}", body)
            for i, body in enumerate(bodies)
        ]
        (folder / f"crawl-{f:02d}.warc.gz").write_bytes(b"".join(members))


def _write_recipe(path: Path, inputs: Path, output: Path) -> Path:
    recipe = {
        "inputs": [{"path": str(inputs / "*.warc.gz"), "source": "resume-test", "kind": "warc"}],
        "output": str(output),
        "langid": {"enabled": True, "keep": ["kk"], "min_score": 0.0},
        "pii": {"enabled": True},
        "quality": {"enabled": False},
        "toxicity": {"enabled": True},
        "dedup": {"exact": True, "minhash": True, "backend": "cpu"},
    }
    path.write_text(yaml.safe_dump(recipe, allow_unicode=True), encoding="utf-8")
    return path


def _cmd(recipe: Path) -> list[str]:
    return [sys.executable, "-m", "kazcorpus.pipeline", "run", str(recipe)]


def _run(recipe: Path, cwd: Path) -> None:
    proc = subprocess.run(_cmd(recipe), cwd=cwd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]


def _checkpoints(out: Path) -> dict[str, tuple[int, int]]:
    """Completed unit checkpoints: name -> (inode, mtime in ns)."""
    found = {}
    for p in out.glob("_work/*/units/*.parquet"):
        st = p.stat()
        found[p.name] = (st.st_ino, st.st_mtime_ns)
    return found


def _shards(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes()
            for sub in ("data", "rejected") for p in sorted((out / sub).glob("*.parquet"))}


def _kill_after_first_checkpoints(recipe: Path, out: Path, cwd: Path, timeout: float = 240) -> dict:
    proc = subprocess.Popen(_cmd(recipe), cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if _checkpoints(out):
                break
            time.sleep(0.005)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return _checkpoints(out)


@pytest.mark.slow
def test_killed_run_resumes_from_checkpoints_and_matches_uninterrupted(tmp_path: Path):
    inputs = tmp_path / "inputs"
    _make_inputs(inputs)
    out = tmp_path / "out"
    recipe = _write_recipe(tmp_path / "recipe.yaml", inputs, out)

    _run(recipe, tmp_path)
    reference = _shards(out)
    assert any(k.startswith("data/") for k in reference), "the reference run kept nothing"
    assert any(k.startswith("rejected/") for k in reference), "the reference run rejected nothing"
    assert len(_checkpoints(out)) == N_FILES
    shutil.move(str(out), str(tmp_path / "reference"))

    at_kill = _kill_after_first_checkpoints(recipe, out, tmp_path)
    assert at_kill, "no unit checkpoint appeared before the run ended or timed out"
    assert len(at_kill) < N_FILES, "the run finished every unit before it could be killed"
    assert not (out / "manifest.json").exists()

    _run(recipe, tmp_path)
    after = _checkpoints(out)
    assert set(after) == set(_checkpoints(tmp_path / "reference"))
    redone = [name for name, stamp in at_kill.items() if after[name] != stamp]
    assert not redone, f"units done before the kill were processed again: {redone}"
    assert _shards(out) == reference
