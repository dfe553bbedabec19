"""`kazcorpus crawl`: the command-line face of the crawler.

`add_parser(subparsers)` registers the subcommand on the main `kazcorpus` parser; `main(args)` runs
it and returns the exit status (0 done, 2 usage or config error, 1 any other failure).  Scrapy runs on
Twisted, whose reactor cannot start twice in one process: a process that already started one (a
test session, a notebook) gets the crawl in a child `python -m kazcorpus.sources.crawl` instead.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from kazcorpus.sources.crawl.config import ConfigError, CrawlConfig, load_config
from kazcorpus.sources.crawl.scope import Scope, normalise_url

EXAMPLE = """\
example:
  kazcorpus crawl seeds.txt --output data/crawl/kz-news --max-pages 5000 --delay 2
  # seeds.txt: one URL per line ('#' starts a comment).  Later:
  kazcorpus crawl seeds.txt --output data/crawl/kz-news --resume        # continue after a stop
  kazcorpus crawl --recrawl --output data/crawl/kz-news                  # refresh known pages
  # then read the pages: inputs: [{path: data/crawl/kz-news/warc/*.warc.gz, kind: warc}]
"""


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "crawl",
        help="polite crawl of seed URLs into WARC files plus a crawl log",
        description="Polite crawl of the seed URLs (a file, one per line) into WARC files "
        "(OUT/warc/ for pages, OUT/diagnostics/ for redirects and errors, OUT/discovery/ for "
        "robots.txt and sitemaps) plus a crawl log (OUT/crawl-log.jsonl).  robots.txt, its "
        "Crawl-delay and a per-host delay are always obeyed.",
        epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    configure_parser(parser)
    return parser


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("seeds", nargs="?", metavar="SEEDS",
                        help="file of seed URLs, one per line (or a single http(s) URL); "
                        "optional with --resume or --recrawl")
    parser.add_argument("--output", "-o", required=True, metavar="DIR", help="crawl folder")
    parser.add_argument("--allow", action="append", metavar="DOMAIN",
                        help="crawl hosts under DOMAIN (repeatable); replaces the config's allow-list "
                        "(default .kz and .қаз). Use HOST:PORT for one port only")
    parser.add_argument("--deny", action="append", metavar="DOMAIN",
                        help="never crawl hosts under DOMAIN (repeatable); replaces the config's deny-list")
    parser.add_argument("--max-pages", type=int, metavar="N", help="stop after N page fetches (whole crawl)")
    parser.add_argument("--max-depth", type=int, metavar="N", help="follow links at most N hops from a seed")
    parser.add_argument("--delay", type=float, metavar="SECONDS", help="at least this long between requests to one host")
    parser.add_argument("--config", metavar="FILE", help="crawl config YAML (see sources/crawl/default.yaml)")
    parser.add_argument("--resume", action="store_true", help="continue the crawl stopped in DIR without refetching")
    parser.add_argument("--recrawl", action="store_true",
                        help="refetch the pages an earlier crawl in DIR got (conditional GET); "
                        "its WARCs are kept, new ones are added")
    # SUPPRESS: `kazcorpus -v crawl ...` sets the same flag on the main parser; do not reset it.
    parser.add_argument("--verbose", "-v", action="store_true", default=argparse.SUPPRESS,
                        help="Scrapy log at INFO level")


def read_seeds(spec: str) -> list[str]:
    path = Path(spec)
    if path.is_file():
        lines = path.read_text(encoding="utf-8-sig").splitlines()
        return [ln.split("#", 1)[0].strip() for ln in lines if ln.split("#", 1)[0].strip()]
    if spec.startswith(("http://", "https://")):
        return [spec]
    raise ConfigError(f"seeds file not found: {spec} (expected a file of URLs, one per line)")


def _any_in_scope(seeds: list[str], config: CrawlConfig) -> bool:
    scope = Scope(config.allow, config.deny)
    for seed in seeds:
        url = normalise_url(seed, strip_params=config.strip_query_params)
        if url is not None and scope.reason(url) is None:
            return True
    return False


def _argv(args: argparse.Namespace) -> list[str]:
    """The command line that reproduces `args`, for the child process."""
    argv = [args.seeds] if args.seeds else []
    argv += ["--output", str(args.output)]
    for flag, values in (("--allow", args.allow), ("--deny", args.deny)):
        for v in values or []:
            argv += [flag, v]
    for flag, value in (("--max-pages", args.max_pages), ("--max-depth", args.max_depth),
                        ("--delay", args.delay), ("--config", args.config)):
        if value is not None:
            argv += [flag, str(value)]
    argv += [f for f, on in (("--resume", args.resume), ("--recrawl", args.recrawl),
                             ("--verbose", getattr(args, "verbose", False))) if on]
    return argv


def main(args: argparse.Namespace) -> int:
    try:
        seeds = read_seeds(args.seeds) if args.seeds else []
        if not seeds and not (args.resume or args.recrawl):
            raise ConfigError("no seed URLs: give a SEEDS file (or --resume / --recrawl an earlier crawl)")
        config = load_config(
            args.config, allow=args.allow, deny=args.deny, max_pages=args.max_pages,
            max_depth=args.max_depth, delay=args.delay, log_level="INFO" if getattr(args, "verbose", False) else None,
        )
    except ConfigError as exc:
        print(f"kazcorpus crawl: {exc}", file=sys.stderr)
        return 2
    try:
        import scrapy  # noqa: F401
    except ImportError:
        print("kazcorpus crawl: Scrapy is not installed; install the crawl extra: "
              "pip install 'kazcorpus[crawl]'", file=sys.stderr)
        return 1
    if seeds and not args.recrawl and not _any_in_scope(seeds, config):
        print(f"kazcorpus crawl: no seed URL is inside the allow-list {config.allow} "
              f"(deny {config.deny}); pass --allow DOMAIN", file=sys.stderr)
        return 2
    if "example." in config.contact_url:
        print("kazcorpus crawl: warning: contact_url is the placeholder; set it in a --config file "
              "before crawling sites you do not run", file=sys.stderr)
    if "twisted.internet.reactor" in sys.modules:
        return subprocess.call([sys.executable, "-m", "kazcorpus.sources.crawl", *_argv(args)])
    return _run(args, config, seeds)


def _run(args: argparse.Namespace, config: CrawlConfig, seeds: list[str]) -> int:
    from kazcorpus.sources.crawl.runner import LOG_NAME, run_crawl

    try:
        reason, summary = run_crawl(config, args.output, seeds, resume=args.resume, recrawl=args.recrawl)
    except ConfigError as exc:
        print(f"kazcorpus crawl: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - the CLI reports any failure as one line, exit 1
        print(f"kazcorpus crawl: failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    out = Path(args.output)
    print(f"crawl {reason}: {summary['fetches']} fetches this run, {summary['pages_total']} in all; "
          f"pages in {out / 'warc'}, log in {out / LOG_NAME}")
    if reason in ("finished", "max_pages"):
        return 0
    if reason == "shutdown":
        print(f"kazcorpus crawl: interrupted; continue with --resume --output {out}", file=sys.stderr)
    else:
        print(f"kazcorpus crawl: stopped early ({reason})", file=sys.stderr)
    return 1
