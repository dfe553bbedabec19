"""Cost and quality of trafilatura's modes on trafilatura's own evaluation set (evaldata.json).

Each page in ../shared/data/web/html/trafilatura-eval/evaldata.json lists snippets that a good
extraction contains (`with`) and boilerplate it must not contain (`without`).  Scored as trafilatura's
evaluation does: a found `with` snippet is a true positive, a missing one a false negative, a found
`without` snippet a false positive.  Time is CPU time of this process (other load on the machine
barely moves it), for the extraction call alone.

Modes: `precision` is kazcorpus's setting (favor_precision, no tables, no comments);
`precision+metadata` adds what the `extract` stage also asks for by default (title, date);
`fast` is trafilatura's fast mode (no fallback extractors) with precision on; `default` and
`default-fast` are trafilatura's defaults without favour_precision.

    .venv/bin/python benchmarks/extraction.py                 # all ~990 evaluation pages
    .venv/bin/python benchmarks/extraction.py --pages 300
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import CORPORA, HTML_ROOT  # noqa: E402

MODES = {
    "precision": dict(favor_precision=True, fast=False, with_metadata=False),
    "precision+metadata": dict(favor_precision=True, fast=False, with_metadata=True),
    "fast": dict(favor_precision=True, fast=True, with_metadata=False),
    "default": dict(favor_precision=False, fast=False, with_metadata=False),
    "default-fast": dict(favor_precision=False, fast=True, with_metadata=False),
}


def load_eval(limit: int | None) -> list[tuple[bytes, list[str], list[str]]]:
    data = json.loads((HTML_ROOT / "trafilatura-eval" / "evaldata.json").read_text(encoding="utf-8"))
    cases = []
    for entry in data.values():
        for corpus in CORPORA:
            p = HTML_ROOT / corpus / entry["file"]
            if p.is_file():
                cases.append((p.read_bytes(), entry.get("with") or [], entry.get("without") or []))
                break
    return cases[:limit] if limit else cases


def extract(html: bytes, *, favor_precision: bool, fast: bool, with_metadata: bool) -> str:
    import trafilatura

    doc = trafilatura.bare_extraction(html, favor_precision=favor_precision, fast=fast, include_tables=False,
                                      include_comments=False, deduplicate=False, with_metadata=with_metadata)
    return (doc.text or "") if doc is not None else ""


def evaluate(cases, mode: dict) -> dict[str, float]:
    tp = fn = fp = tn = 0
    cpu = 0.0
    for html, must, must_not in cases:
        t0 = time.process_time()
        text = extract(html, **mode)
        cpu += time.process_time() - t0
        for s in must:
            if s in text:
                tp += 1
            else:
                fn += 1
        for s in must_not:
            if s in text:
                fp += 1
            else:
                tn += 1
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"pages": len(cases), "cpu_s": cpu, "docs_per_cpu_s": len(cases) / cpu if cpu else 0.0,
            "precision": precision, "recall": recall, "f1": f1,
            "accuracy": (tp + tn) / (tp + tn + fp + fn) if tp + tn + fp + fn else 0.0}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 epilog="example: .venv/bin/python benchmarks/extraction.py --pages 300")
    ap.add_argument("--pages", type=int, default=0, help="first N evaluation pages (default: all)")
    ap.add_argument("--modes", default=",".join(MODES), help=f"comma-separated, from {','.join(MODES)}")
    args = ap.parse_args(argv)
    cases = load_eval(args.pages or None)
    if not cases:
        print(f"no evaluation pages under {HTML_ROOT}", file=sys.stderr)
        return 1
    extract(cases[0][0], **MODES["precision"])  # imports and lazy set-up outside the timings
    print(f"{len(cases)} pages of evaldata.json")
    print("| mode               | docs/CPU-s | vs precision | precision | recall | F1    | accuracy |")
    print("|--------------------|------------|--------------|-----------|--------|-------|----------|")
    base = None
    for name in args.modes.split(","):
        r = evaluate(cases, MODES[name])
        base = base or r["docs_per_cpu_s"]
        print(f"| {name:<18} | {r['docs_per_cpu_s']:10.1f} | {r['docs_per_cpu_s'] / base:11.2f}x | "
              f"{r['precision']:9.3f} | {r['recall']:6.3f} | {r['f1']:.3f} | {r['accuracy']:8.3f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
