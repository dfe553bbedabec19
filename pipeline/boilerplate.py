"""Line-level boilerplate across the pages of one host: menus, footers, cookie banners.

A line (stripped of surrounding whitespace) is boilerplate for a host when it occurs on at least
`min_docs` of the host's pages and on at least `min_share` of them.  Such lines are removed from
every page of the host before language ID, quality filtering and dedup measure the text, so that a
shared footer neither makes two different articles look alike nor inflates repetition scores.  The
number removed is recorded per page in `annotations["boilerplate"] = {"removed_lines": n}`.

The host is the URL's host name without `www.`; documents without a URL are grouped by source.
Counting is a Beam combine per (host, line hash), so no host's pages are ever held together in
memory; only the set of boilerplate line hashes of a host travels to its pages.  Documents already
rejected by an earlier stage pass through untouched.

`BoilerplateLines` stops short of removing: it pairs every page (packed, see `record.pack`) with its
host's line set, so that the run's graph removes the lines in the stage that measures the page next
and the pages cross the host join and the following reshuffle as plain bytes.  The set rides along
with each page of the host (tens of 8-byte hashes for a typical menu and footer, next to kilobytes of
page).  `HostBoilerplate` is the whole operation, Doc in, Doc out.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import apache_beam as beam
import xxhash

from kazcorpus.pipeline.record import Doc, pack, unpack

STAGE = "boilerplate"


def host_key(doc: Doc) -> str:
    """Grouping key: `host:<name>` from the URL, or `source:<name>` for documents without one."""
    if doc.url:
        try:
            host = urlsplit(doc.url.strip()).hostname
        except ValueError:
            host = None
        if host:
            return "host:" + host.lower().removeprefix("www.")
    return "source:" + doc.source


def line_hash(line: str) -> int:
    return xxhash.xxh3_64_intdigest(line.strip().encode("utf-8", "surrogatepass"))


def distinct_line_hashes(text: str, min_chars: int) -> set[int]:
    return {line_hash(ln) for ln in text.splitlines() if len(ln.strip()) >= min_chars}


def remove_lines(doc: Doc, boilerplate: frozenset[int] | set[int]) -> Doc:
    """Drop the lines of `doc` whose hash is in `boilerplate`, and count them."""
    removed = 0
    if boilerplate:
        kept = []
        for ln in doc.text.splitlines():
            if ln.strip() and line_hash(ln) in boilerplate:
                removed += 1
            else:
                kept.append(ln)
        if removed:
            doc.text = "\n".join(kept)
    doc.annotations[STAGE] = {"removed_lines": removed}
    return doc


def _line_counts(doc: Doc, min_chars: int):
    host = host_key(doc)
    for h in distinct_line_hashes(doc.text, min_chars):
        yield (host, h), 1


def _boilerplate_set(kv, *, min_docs: int, min_share: float):
    host, grouped = kv
    n_pages = sum(grouped["pages"])
    lines = frozenset(h for h, c in grouped["lines"] if c >= min_docs and c >= min_share * n_pages)
    if lines:
        yield host, lines


def _attach_lines(kv):
    _, grouped = kv
    sets = list(grouped["boilerplate"])
    lines = sets[0] if sets else frozenset()
    for packed in grouped["docs"]:
        yield packed, lines


def apply_lines(item: tuple[bytes, frozenset[int]]) -> Doc:
    """(packed page, its host's boilerplate lines) -> the page with them removed (rejected: as is)."""
    packed, lines = item
    doc = unpack(packed)
    return doc if doc.rejected else remove_lines(doc, lines)


class BoilerplateLines(beam.PTransform):
    """PCollection[Doc] -> PCollection[(packed Doc, frozenset of its host's boilerplate line hashes)],
    one per page, rejected pages included; `apply_lines` finishes the job."""

    def __init__(self, config):
        super().__init__()
        self.config = config

    def expand(self, docs):
        c = self.config
        kept = docs | "StillKept" >> beam.Filter(lambda d: not d.rejected)
        counts = (
            kept
            | "LinesPerPage" >> beam.FlatMap(_line_counts, c.min_chars)
            | "PagesPerLine" >> beam.CombinePerKey(sum)
            | "FrequentLines" >> beam.Filter(lambda kv, m: kv[1] >= m, c.min_docs)
            | "ByHost" >> beam.Map(lambda kv: (kv[0][0], (kv[0][1], kv[1])))
        )
        pages = kept | "OnePerPage" >> beam.Map(lambda d: (host_key(d), 1)) | "PagesPerHost" >> beam.CombinePerKey(
            sum)
        boilerplate = (
            {"lines": counts, "pages": pages}
            | "JoinHostCounts" >> beam.CoGroupByKey()
            | "BoilerplateLines" >> beam.FlatMap(_boilerplate_set, min_docs=c.min_docs, min_share=c.min_share)
        )
        return (
            {"docs": docs | "KeyByHost" >> beam.Map(lambda d: (host_key(d), pack(d))), "boilerplate": boilerplate}
            | "JoinHostLines" >> beam.CoGroupByKey()
            | "AttachLines" >> beam.FlatMap(_attach_lines)
        )


class HostBoilerplate(beam.PTransform):
    """PCollection[Doc] -> PCollection[Doc] with per-host boilerplate lines removed."""

    def __init__(self, config):
        super().__init__()
        self.config = config

    def expand(self, docs):
        return docs | "FindLines" >> BoilerplateLines(self.config) | "RemoveLines" >> beam.Map(apply_lines)
