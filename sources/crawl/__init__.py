"""The polite crawler: seeds -> WARC files plus a crawl log.

`kazcorpus crawl` (cli.py) runs Scrapy (spider.py) in its own process (runner.py) with the
settings of one typed config (config.py, defaults in default.yaml): robots.txt and its Crawl-delay,
a per-host delay and concurrency limit, the allow/deny lists and URL normalisation (scope.py).
Every exchange goes to size-rotated, gzip-per-record WARC files (warcfiles.py) that
`kazcorpus.sources.warc` reads with no conversion.  Importing this package does not import Scrapy.
"""
