"""`kazcorpus notebooks`: open the review notebooks in JupyterLab on an output folder.

It installs nothing: the notebook tools are an extra (`make notebooks` or
`pip install 'kazcorpus[notebooks]'`), and a missing one is reported with the command that adds it.
The folder reaches the notebooks through $KAZCORPUS_OUTPUT, the same way the tests pass it.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

OUTPUT_ENV = "KAZCORPUS_OUTPUT"
NEEDED = ("jupyterlab", "ipywidgets", "pandas", "matplotlib")
INSTALL_HINT = "run `make notebooks`, or: pip install 'kazcorpus[notebooks]'"

HELP = """\
Open the review notebooks (review_samples, tune_thresholds, corpus_report, audit_trail) in JupyterLab,
working on one output folder: --output, else $KAZCORPUS_OUTPUT, else the newest ./out/demo*.
Needs the notebooks extra: make notebooks  (or pip install 'kazcorpus[notebooks]').

example:
  kazcorpus notebooks                       # the latest demo output
  kazcorpus notebooks --output out/run1 --no-browser --port 8890
"""


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("notebooks", help="open the review notebooks in JupyterLab", description=HELP,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--output", metavar="DIR",
                   help="output folder to review (default: $KAZCORPUS_OUTPUT, else the newest ./out/demo*)")
    p.add_argument("--no-browser", action="store_true", help="start the server without opening a browser")
    p.add_argument("--port", type=int, help="port of the JupyterLab server (default: JupyterLab's)")
    return p


def notebooks_dir() -> Path | None:
    """The notebooks/ folder of a source checkout (they are not part of an installed wheel)."""
    folder = Path(__file__).resolve().parents[1] / "notebooks"
    return folder if any(folder.glob("*.ipynb")) else None


def main(args: argparse.Namespace) -> int:
    missing = [name for name in NEEDED if importlib.util.find_spec(name) is None]
    if missing:
        print(f"kazcorpus: the notebook tools are not installed ({', '.join(missing)} missing): {INSTALL_HINT}",
              file=sys.stderr)
        return 1
    folder = notebooks_dir()
    if folder is None:
        print("kazcorpus: no notebooks/ folder next to this installation; use a source checkout of kazcorpus",
              file=sys.stderr)
        return 1
    from kazcorpus.pipeline import review  # needs pandas, which the check above found

    try:
        out = review.output_dir(getattr(args, "output", None))
    except FileNotFoundError as exc:
        print(f"kazcorpus: {exc}", file=sys.stderr)
        return 2 if getattr(args, "output", None) else 1
    cmd = [sys.executable, "-m", "jupyterlab", str(folder)]
    if getattr(args, "no_browser", False):
        cmd.append("--no-browser")
    if getattr(args, "port", None):
        cmd.append(f"--port={args.port}")
    print(f"JupyterLab on {folder}, {OUTPUT_ENV}={out} (stop with Ctrl+C)", file=sys.stderr)
    try:
        return subprocess.call(cmd, env={**os.environ, OUTPUT_ENV: str(out)})
    except KeyboardInterrupt:
        return 0
