"""The polite crawler: seeds -> WARC files plus a crawl log."""
