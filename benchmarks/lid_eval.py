"""Kazakh language ID against plain fastText lid.176, on the same lines.

Reads ../shared/data/lid/*.txt (one line = one document; the file stem names the language and,
for Kazakh, the script: kk_cyrl, kk_latn, kk_arab) and the probe lines the project wrote itself
(filters/lexicons/lid_probe_lines.tsv: Ukrainian, Belarusian, Mongolian, Bulgarian, Turkish,
Azerbaijani, Uzbek, Turkmen, Tatar Latin...).  For every set it prints the share labelled kk by us
and by plain lid.176, the share labelled with the set's own language, the share with the right
script, and documents/second for both (best of --repeat runs) with their ratio.  Times are CPU
time of this process (`time.process_time`: both run in it, single-threaded), so that other load on
a shared machine does not count.

    .venv/bin/python benchmarks/lid_eval.py [--data DIR] [--repeat 3] [--show-errors N]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from kazcorpus.filters.langid import LangIdOperator, model_path
from kazcorpus.pipeline.record import Doc, Provenance

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "lid"
PROBES = REPO / "filters" / "lexicons" / "lid_probe_lines.tsv"


def load_sets(data: Path) -> dict[str, tuple[str, str, list[str]]]:
    """name -> (language, script or "", lines)."""
    sets: dict[str, tuple[str, str, list[str]]] = {}
    for path in sorted(data.glob("*.txt")):
        lang, _, script = path.stem.partition("_")
        lines = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
        sets[path.stem] = (lang, script.capitalize(), lines)
    for ln in PROBES.read_text(encoding="utf-8").splitlines():
        if not ln.strip() or ln.startswith("#"):
            continue
        lang, script, text = ln.split("\t")
        name = f"probe_{lang}_{script.lower()}"
        sets.setdefault(name, (lang, script, []))[2].append(text)
    return sets


def best_time(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.process_time()
        fn()
        best = min(best, time.process_time() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--show-errors", type=int, default=0, help="print up to N misjudged lines per set")
    args = ap.parse_args()

    import fasttext

    plain = fasttext.load_model(model_path())
    op = LangIdOperator()
    op.ensure_setup()
    sets = load_sets(args.data)
    if not sets:
        raise SystemExit(f"no data under {args.data}")

    print(f"{'set':22s} {'n':>5s} {'kk%':>7s} {'plain kk%':>9s} {'own%':>7s} {'plain own%':>10s} {'script%':>8s}"
          f" {'docs/s':>8s} {'plain/s':>8s} {'cost x':>6s}")
    total_ours = total_plain = 0.0
    for name, (lang, script, lines) in sets.items():
        docs = [Doc(id=str(i), source="lid", provenance=Provenance(uri=name), text=t) for i, t in enumerate(lines)]
        flat = [" ".join(t.split()) for t in lines]

        def run_plain(flat=flat):
            return [plain.f.predict(t, 1, 0.0, "strict") for t in flat]

        def run_ours(docs=docs):
            for d in docs:
                op.annotate(d)

        t_plain = best_time(run_plain, args.repeat)
        t_ours = best_time(run_ours, args.repeat)
        total_plain += t_plain
        total_ours += t_ours
        plain_labels = [p[0][1][9:] if p else "und" for p in run_plain()]
        n = len(lines)
        kk = sum(d.lang == "kk" for d in docs) / n
        own = sum(d.lang == lang for d in docs) / n
        right_script = sum(d.script == script for d in docs) / n if script else float("nan")
        print(f"{name:22s} {n:5d} {kk:7.1%} {plain_labels.count('kk') / n:9.1%} {own:7.1%}"
              f" {plain_labels.count(lang) / n:10.1%} {right_script:8.1%} {n / t_ours:8.0f} {n / t_plain:8.0f}"
              f" {t_ours / t_plain:6.2f}")
        if args.show_errors:
            wrong = [d for d in docs if d.lang != lang][: args.show_errors]
            for d in wrong:
                print(f"    {d.lang}/{d.script} {d.lang_score:.2f}  {d.text[:110]}")
    print(f"{'all sets':22s} cost x {total_ours / total_plain:.2f} (ours {total_ours:.3f}s, plain {total_plain:.3f}s)")


if __name__ == "__main__":
    main()
