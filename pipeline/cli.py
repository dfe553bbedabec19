"""`kazcorpus` command line: run, annotate, crawl, trace, verify, forget.

Exit status: 0 on success, 2 on a usage or recipe error (the message names the bad key or value),
1 on any other failure with a one-line reason.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from kazcorpus.pipeline import __version__

log = logging.getLogger("kazcorpus")


class UsageError(Exception):
    """Bad command-line usage: exit 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse exits 2 itself; keep that, with our prefix
        self.print_usage(sys.stderr)
        self.exit(2, f"kazcorpus: error: {message}\n")


def _fmt():
    return argparse.RawDescriptionHelpFormatter


RUN_HELP = """\
Run the main job: read the recipe's inputs, run every stage, write Parquet shards, manifest and card.

example:
  kazcorpus run recipe.yaml
  kazcorpus run recipe.yaml --input crawl/*.warc.gz --output out/june -- --direct_num_workers=2 \\
      --direct_running_mode=multi_processing
  kazcorpus run            # the bundled demo recipe, output in ./out/demo
"""

ANNOTATE_HELP = """\
Run per-document stages on JSONL ({"text": ...} per line) or plain text (one document per line) and
print one JSONL line per input line, in order, with each stage's annotations and decision.
Nothing is dropped.

example:
  echo 'Қазақстан Республикасы — Орталық Азиядағы мемлекет.' | kazcorpus annotate --stages langid
  kazcorpus annotate --stages pii,toxicity docs.jsonl > annotated.jsonl
"""

VERIFY_HELP = """\
Check every file listed in DIR/manifest.json against its size and sha256, and report files that are
missing or not listed. Exit 1 with a list of problems when anything differs.

example:
  kazcorpus verify out/demo
"""

TRACE_HELP = """\
Print the provenance of one document (kept or rejected) as JSON: source, raw record, every stage's
scores and decision, its near-duplicate cluster and the run's recipe and models.

example:
  kazcorpus trace 3f2a...e9 --output out/demo --reproduce
"""

FORGET_HELP = """\
Honour a takedown: write a new release without the given documents (and their near-duplicates), record
the request in its manifest and add the entries to the persistent blocklist applied by later runs.

example:
  kazcorpus forget out/demo --url https://example.kz/page --reason "owner request 2026-11-01"
"""


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="kazcorpus",
        description="Build the Kazakh training corpus: archives in, clean deduplicated Parquet out.",
        epilog="example:\n  kazcorpus run recipe.yaml --output out/run1\n  kazcorpus verify out/run1",
        formatter_class=_fmt(),
    )
    parser.add_argument("--version", action="version", version=f"kazcorpus {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    p = sub.add_parser("run", help="the main job", description=RUN_HELP, formatter_class=_fmt())
    p.add_argument("recipe", nargs="?", help="recipe YAML (default: the bundled demo recipe)")
    p.add_argument("--input", action="append", metavar="PATH",
                   help="file, folder or glob; repeatable; replaces the recipe's inputs")
    p.add_argument("--output", metavar="DIR", help="output folder (replaces the recipe's)")
    p.add_argument("--source", help="source name for --input paths (default: from the file name)")
    p.add_argument("--dry-run", action="store_true", help="print the resolved recipe and the input files, run nothing")
    p.add_argument("--quiet", action="store_true", help="no progress lines")

    p = sub.add_parser("annotate", help="annotate documents with per-document stages",
                       description=ANNOTATE_HELP, formatter_class=_fmt())
    p.add_argument("file", nargs="?", default="-", help="JSONL or text file, or - for stdin (default)")
    p.add_argument("--stages", default="langid,pii,quality,toxicity",
                   help="comma-separated: langid, pii, quality, toxicity (default: all)")
    p.add_argument("--recipe", help="take stage settings (thresholds) from this recipe")

    try:
        from kazcorpus.sources.crawl import cli as crawl_cli

        crawl_cli.add_parser(sub)
    except ImportError:
        p = sub.add_parser("crawl", help="polite crawl into WARC files (needs the crawl extra)")
        p.add_argument("seeds")
        p.add_argument("--output", required=True)

    try:
        from kazcorpus.pipeline import notebooks_cli

        notebooks_cli.add_parser(sub)
    except ImportError:
        pass

    p = sub.add_parser("trace", help="provenance of one document", description=TRACE_HELP, formatter_class=_fmt())
    p.add_argument("doc_id", metavar="DOC_ID")
    p.add_argument("--output", metavar="DIR", help="release folder (default: ./out/demo)")
    p.add_argument("--reproduce", action="store_true", help="re-read the raw record and re-run extraction")
    p.add_argument("--full-text", action="store_true", help="include the whole text, not an excerpt")

    p = sub.add_parser("verify", help="check a release against its manifest", description=VERIFY_HELP,
                       formatter_class=_fmt())
    p.add_argument("dir", metavar="DIR")

    p = sub.add_parser("forget", help="takedown: new release without some documents", description=FORGET_HELP,
                       formatter_class=_fmt())
    p.add_argument("dir", metavar="DIR")
    p.add_argument("--id", action="append", default=[], dest="ids", help="document id (repeatable)")
    p.add_argument("--url", action="append", default=[], dest="urls", help="page URL (repeatable)")
    p.add_argument("--domain", action="append", default=[], dest="domains", help="host and its subdomains")
    p.add_argument("--reason", default="takedown request", help="recorded in the manifest and blocklist")
    p.add_argument("--blocklist", help="persistent blocklist file (default: DIR/../blocklist.jsonl)")
    p.add_argument("--new-output", help="folder of the new release (default: DIR, replaced atomically)")
    return parser


def _setup_logging(verbose: bool, quiet: bool = False) -> None:
    level = logging.DEBUG if verbose else (logging.WARNING if quiet else logging.INFO)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", datefmt="%H:%M:%S")
    for noisy in ("apache_beam", "htmldate", "courlan", "charset_normalizer", "datatrove"):
        logging.getLogger(noisy).setLevel(logging.WARNING if not verbose else logging.INFO)
    # Beam warns at import about Google Cloud client libraries nobody asked for.
    logging.getLogger().addFilter(lambda r: not str(r.msg).startswith("apitools not found"))
    for h in logging.getLogger().handlers:
        h.addFilter(lambda r: not str(r.msg).startswith("apitools not found"))
    # trafilatura logs an ERROR for every page it finds empty; those are counted drops, not errors.
    logging.getLogger("trafilatura").setLevel(logging.CRITICAL if not verbose else logging.INFO)


def cmd_run(args, beam_args: list[str]) -> int:
    from kazcorpus.pipeline.recipe import InputSpec, RecipeError, demo_recipe, expand_inputs, load_recipe

    try:
        recipe = load_recipe(args.recipe) if args.recipe else demo_recipe()
        if args.input:
            recipe.inputs = [InputSpec(path=str(Path(p).resolve()) if "://" not in p else p, source=args.source)
                             for p in args.input]
        if args.output:
            recipe.output = str(Path(args.output).resolve()) if "://" not in args.output else args.output
        entries = expand_inputs(recipe)
    except RecipeError as exc:
        print(f"kazcorpus: recipe error: {exc}", file=sys.stderr)
        return 2
    if args.dry_run:
        print(json.dumps({"recipe": recipe.resolved_dict(),
                          "files": [{"path": p, "source": s, "kind": k} for _, p, s, k in entries]},
                         indent=2, ensure_ascii=False))
        return 0
    from kazcorpus.pipeline.run import run
    from kazcorpus.pipeline.shards import format_funnel

    manifest = run(recipe, beam_args)
    print(format_funnel(manifest["funnel"], manifest["errors"]))
    print(f"\n{manifest['counts']['kept']} documents kept, {manifest['counts']['rejected']} rejected "
          f"in {manifest['seconds']} s -> {recipe.output}")
    if manifest["errors"]:
        print(f"warning: {sum(manifest['errors'].values())} unreadable inputs or records were skipped "
              f"(see 'errors' and 'error_samples' in {recipe.output}/manifest.json)", file=sys.stderr)
    return 0


def cmd_annotate(args) -> int:
    from kazcorpus.pipeline.annotate import annotate_stream

    stages = [s.strip() for s in args.stages.split(",") if s.strip()]
    known = ("langid", "pii", "quality", "toxicity")
    bad = [s for s in stages if s not in known]
    if bad:
        print(f"kazcorpus: error: unknown stage(s) {', '.join(bad)}; choose from {', '.join(known)}", file=sys.stderr)
        return 2
    recipe = None
    if args.recipe:
        from kazcorpus.pipeline.recipe import RecipeError, load_recipe

        try:
            recipe = load_recipe(args.recipe)
        except RecipeError as exc:
            print(f"kazcorpus: recipe error: {exc}", file=sys.stderr)
            return 2
    if args.file == "-":
        annotate_stream(sys.stdin, sys.stdout, stages=stages, recipe=recipe)
        return 0
    try:
        with open(args.file, encoding="utf-8") as stream:
            annotate_stream(stream, sys.stdout, stages=stages, recipe=recipe)
    except OSError as exc:
        print(f"kazcorpus: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 1
    return 0


def cmd_verify(args) -> int:
    from kazcorpus.pipeline.shards import verify

    problems = verify(args.dir)
    if problems:
        for p in problems:
            print(p)
        print(f"{len(problems)} problem(s) in {args.dir}", file=sys.stderr)
        return 1
    print(f"ok: every file listed in {args.dir}/manifest.json matches its size and sha256")
    return 0


def cmd_trace(args) -> int:
    from kazcorpus.pipeline import audit

    out = args.output or str(Path("out/demo").resolve())
    result = audit.trace(out, args.doc_id, reproduce=args.reproduce, full_text=args.full_text)
    if result is None:
        print(f"kazcorpus: no document {args.doc_id} in {out}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


def cmd_forget(args) -> int:
    from kazcorpus.pipeline import audit

    if not (args.ids or args.urls or args.domains):
        print("kazcorpus: error: forget needs at least one --id, --url or --domain", file=sys.stderr)
        return 2
    summary = audit.forget(args.dir, ids=args.ids, urls=args.urls, domains=args.domains, reason=args.reason,
                           blocklist=args.blocklist, new_output=args.new_output)
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    beam_args: list[str] = []
    if "--" in argv:
        i = argv.index("--")
        argv, beam_args = argv[:i], argv[i + 1:]
    parser = build_parser()
    args = parser.parse_args(argv)
    _setup_logging(args.verbose, getattr(args, "quiet", False))
    try:
        if args.command == "run":
            return cmd_run(args, beam_args)
        if args.command == "annotate":
            return cmd_annotate(args)
        if args.command == "verify":
            return cmd_verify(args)
        if args.command == "trace":
            return cmd_trace(args)
        if args.command == "forget":
            return cmd_forget(args)
        if args.command == "notebooks":
            from kazcorpus.pipeline import notebooks_cli

            return notebooks_cli.main(args)
        if args.command == "crawl":
            from kazcorpus.sources.crawl import cli as crawl_cli

            return crawl_cli.main(args)
    except KeyboardInterrupt:
        print("kazcorpus: interrupted", file=sys.stderr)
        return 1
    except UsageError as exc:
        print(f"kazcorpus: error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - the contract: exit 1 with a one-line reason
        if args.verbose:
            raise
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        print(f"kazcorpus: {type(exc).__name__}: {msg}", file=sys.stderr)
        return 1
    parser.error(f"unknown command {args.command}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
