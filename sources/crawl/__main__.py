"""`python -m kazcorpus.sources.crawl ...`: the crawl command alone, in a fresh process."""

import argparse
import sys

from kazcorpus.sources.crawl.cli import EXAMPLE, configure_parser, main

parser = argparse.ArgumentParser(prog="kazcorpus crawl", epilog=EXAMPLE,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
configure_parser(parser)
sys.exit(main(parser.parse_args()))
