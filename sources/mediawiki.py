"""MediaWiki XML dumps (.xml, .bz2, .gz, .xz) -> documents, one per article.

The dump is streamed: decompressed bytes are cut at `<page ...>` / `</page>` and each page is parsed
alone with ElementTree, so memory holds one page, and every page gets its exact byte offset and
length in the decompressed XML (an iterparse over the whole file gives no byte positions, which
`sources.reread` needs to re-read one page).  The `<siteinfo>` before the first page gives the
dbname, the base URL and the local names of the File and Category namespaces.

Kept: namespace 0, not redirects, wikitext content model; of a multi-revision page, the last revision.
The reader yields the wikitext undecoded (`raw_type="wikitext"`); the `extract` stage turns it into
plain text with `wikitext_to_text` (mwparserfromhell: templates, tables, references, files,
categories dropped), so `trace --reproduce` re-runs exactly the same step as ingest did.  A dump that
ends mid-page (or whose compression is cut) keeps every page read so far and yields `truncated_dump`.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

from kazcorpus.pipeline.record import Doc, Provenance, ReadError, stable_id
from kazcorpus.sources import WorkUnit

_BLOCK = 1 << 20
_MAX_PAGE = 256 << 20
_PAGE_OPEN = re.compile(rb"<page[\s>]")
_PAGE_CLOSE = b"</page>"
_REDIRECT = re.compile(
    r"^\s*#\s*(?:redirect|перенаправление|перенаправлення|пренасочване|айдау|weiterleitung|"
    r"redirection|przekieruj|yönlendi̇rme|yonlendirme)\b", re.I)
# canonical names MediaWiki accepts in every language, next to the dump's own (from <siteinfo>)
_CANONICAL_HIDDEN = ["File", "Image", "Media", "Category"]
_HIDDEN_NS_KEYS = ("-2", "6", "14")
_DROP_TAGS = {"ref", "references", "table", "gallery", "math", "chem", "ce", "timeline", "imagemap",
              "syntaxhighlight", "source", "score", "graph", "templatestyles", "includeonly",
              "noinclude", "mapframe", "maplink", "hiero", "inputbox", "categorytree", "code", "pre",
              "nowiki", "style", "script", "sup", "sub"}


def _open(path: str):
    low = path.lower()
    if low.endswith(".bz2"):
        f = bz2.open(path, "rb")
    elif low.endswith(".gz"):
        f = gzip.open(path, "rb")
    elif low.endswith(".xz"):
        f = lzma.open(path, "rb")
    else:
        f = open(path, "rb")
    bom = f.peek(2)[:2] if hasattr(f, "peek") else b""
    if bom in (b"\xff\xfe", b"\xfe\xff"):
        return _Utf16AsUtf8(f)
    return f


class _Utf16AsUtf8:
    """Some dumps (re-saved by Windows tools) are UTF-16: read them as the UTF-8 XML they should
    be, so that page offsets are always offsets in UTF-8 XML."""

    def __init__(self, f):
        import codecs

        self.f = f
        self.decoder = codecs.getincrementaldecoder("utf-16")()
        self.pending = b""

    def read(self, n: int) -> bytes:
        while len(self.pending) < n:
            raw = self.f.read(_BLOCK)
            self.pending += self.decoder.decode(raw, final=not raw).encode("utf-8")
            if not raw:
                break
        out, self.pending = self.pending[:n], self.pending[n:]
        return out

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.f.close()


def _siteinfo(header: bytes) -> dict[str, Any]:
    text = header.decode("utf-8", errors="replace")
    info: dict[str, Any] = {}
    for tag in ("dbname", "base", "sitename"):
        m = re.search(rf"<{tag}>([^<]*)</{tag}>", text)
        if m:
            info[tag] = _unescape(m.group(1).strip())
    namespaces = {}
    for m in re.finditer(r'<namespace key="(-?\d+)"[^>]*?(?:/>|>([^<]*)</namespace>)', text):
        namespaces[m.group(1)] = _unescape(m.group(2) or "")
    info["namespaces"] = namespaces
    hidden = [namespaces[k] for k in _HIDDEN_NS_KEYS if namespaces.get(k)]
    info["hidden_ns"] = list(dict.fromkeys(hidden + _CANONICAL_HIDDEN))
    return info


def _unescape(s: str) -> str:
    return s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&#039;", "'").replace(
        "&amp;", "&")


def iter_pages(f, start: int = 0) -> Iterator[tuple[int, bytes] | tuple[int, None]]:
    """(decompressed offset, page XML) for every `<page>`; (offset, None) for a page cut off by EOF.

    The first item may be (-1, header bytes before the first page) for the siteinfo.
    Decompression errors propagate (the caller turns them into `truncated_dump`).
    """
    # read1: what the decompressor has, so pages before a damaged stream are not lost with it
    read = getattr(f, "read1", f.read)
    buf = bytearray()
    base = 0  # decompressed offset of buf[0]
    if start:
        remaining = start
        while remaining:
            got = read(min(_BLOCK, remaining))
            if not got:
                break
            remaining -= len(got)
        base = start
    header_sent = start > 0
    eof = False
    pos = 0
    while True:
        m = _PAGE_OPEN.search(buf, pos)
        if m is None:
            if eof:
                return
            keep = max(pos, len(buf) - 16)
            if not header_sent:
                keep = pos  # keep the header until the first page is found
            del buf[:keep]
            base += keep
            pos = 0
            block = read(_BLOCK)
            if not block:
                eof = True
                if not header_sent:
                    header_sent = True
                    yield -1, bytes(buf)
            buf += block
            continue
        if not header_sent:
            header_sent = True
            yield -1, bytes(buf[: m.start()])
        begin = m.start()
        close = buf.find(_PAGE_CLOSE, begin)
        while close < 0:
            if len(buf) - begin > _MAX_PAGE:
                raise ValueError(f"page at {base + begin} over {_MAX_PAGE} bytes")
            block = read(_BLOCK)
            if not block:
                yield base + begin, None
                return
            buf += block
            close = buf.find(_PAGE_CLOSE, max(begin, len(buf) - len(block) - len(_PAGE_CLOSE)))
        end = close + len(_PAGE_CLOSE)
        yield base + begin, bytes(buf[begin:end])
        del buf[:end]
        base += end
        pos = 0


def _page_doc(unit: WorkUnit, site: dict[str, Any], offset: int, xml: bytes) -> Doc | ReadError | None:
    try:
        page = ET.fromstring(xml)
    except ET.ParseError as exc:
        return ReadError(unit.path, "bad_page_xml", str(exc), offset)
    # dumps may put the export namespace on each element when a page is cut out; drop it
    for el in page.iter():
        if "}" in el.tag:
            el.tag = el.tag.split("}", 1)[1]
    title = page.findtext("title") or ""
    ns = page.findtext("ns")
    if ns is None:
        prefix = title.split(":", 1)[0] if ":" in title else ""
        ns = next((k for k, v in site.get("namespaces", {}).items() if v and v == prefix), "0")
    if ns.strip() != "0" or page.find("redirect") is not None:
        return None
    revisions = page.findall("revision")
    if not revisions:
        return None
    rev = revisions[-1]
    model = rev.findtext("model")
    if model not in (None, "wikitext"):
        return None
    text = rev.findtext("text") or ""
    if _REDIRECT.match(text):
        return None
    page_id = (page.findtext("id") or "").strip()
    dbname = site.get("dbname") or ""
    url = None
    base = site.get("base")
    if base and "/wiki/" in base:
        url = base.split("/wiki/", 1)[0] + "/wiki/" + title.replace(" ", "_")
    sha1 = rev.findtext("sha1")
    raw = text.encode("utf-8")
    meta = {
        "title": title,
        "page_id": page_id,
        "revision_id": (rev.findtext("id") or "").strip() or None,
        "dbname": dbname or None,
        "offset_in": "decompressed_xml",
        "wiki_hidden_ns": site.get("hidden_ns", _CANONICAL_HIDDEN),
    }
    import xxhash

    return Doc(
        id=stable_id(unit.source, f"{dbname}:{page_id}" if page_id else f"{dbname}:title:{title}"),
        source=unit.source,
        url=url,
        raw=raw,
        raw_type="wikitext",
        metadata=meta,
        provenance=Provenance(
            uri=unit.path, offset=offset, length=len(xml), record_id=page_id or None,
            digest=f"sha1b36:{sha1.strip()}" if sha1 and sha1.strip() else "xxh3:" + xxhash.xxh3_128_hexdigest(raw),
            date=rev.findtext("timestamp"),
        ),
    )


def read(unit: WorkUnit, *, start: int = 0, only_first: bool = False) -> Iterator[Doc | ReadError]:
    if unit.path.lower().endswith((".7z", ".zip", ".lz4")):
        yield ReadError(unit.path, "unsupported_compression",
                        "MediaWiki dumps must be .xml, .xml.bz2, .xml.gz or .xml.xz; recompress this one")
        return
    site: dict[str, Any] = {"hidden_ns": _CANONICAL_HIDDEN}
    last = start
    if start:
        # the siteinfo (dbname, namespaces) is at the top: read it first, then jump
        with _open(unit.path) as f:
            for off, header in iter_pages(f):
                if off == -1:
                    site = _siteinfo(header or b"")
                break
    with _open(unit.path) as g:
        try:
            for off, xml in iter_pages(g, start):
                if off == -1:
                    site = _siteinfo(xml or b"")
                    continue
                last = off
                if xml is None:
                    yield ReadError(unit.path, "truncated_dump", "the dump ends inside a page", off)
                    return
                item = _page_doc(unit, site, off, xml)
                if item is not None:
                    yield item
                    if only_first:
                        return
        except (EOFError, OSError, lzma.LZMAError, ValueError) as exc:
            yield ReadError(unit.path, "truncated_dump", f"{type(exc).__name__}: {exc}", last)


# ------------------------------------------------------------------------------------------------
# wikitext -> text


def wikitext_to_text(wikitext: str, *, hidden_namespaces: list[str] | None = None) -> str:
    """Readable text of an article: templates, tables, references, files and categories dropped,
    link text kept, headings kept as their own lines."""
    import mwparserfromhell

    hidden = {n.lower() for n in (hidden_namespaces or _CANONICAL_HIDDEN)}
    try:
        code = mwparserfromhell.parse(wikitext)
    except Exception:  # noqa: BLE001 - the parser can fail on pathological markup: keep raw text
        return wikitext
    text = _render(code, hidden)
    text = re.sub(r"__[A-Z]+__", "", text)
    lines = []
    for line in text.split("\n"):
        line = re.sub(r"[ \t\u00a0]+", " ", line).strip()
        if line.startswith(("{|", "|", "!")) or re.fullmatch(r"[*#:;]+", line):
            continue
        lines.append(line.lstrip("*#:; ").strip() if line[:1] in "*#:;" else line)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _render(code, hidden: set[str]) -> str:
    from mwparserfromhell import nodes

    out: list[str] = []
    for node in code.nodes:
        if isinstance(node, nodes.Text):
            out.append(node.value)
        elif isinstance(node, nodes.Wikilink):
            title = str(node.title).strip()
            prefix = title.lstrip(":").split(":", 1)[0].strip().lower() if ":" in title else ""
            if prefix and not title.startswith(":") and (
                prefix in hidden or (node.text is None and re.fullmatch(r"[a-z]{2,3}(-[a-z]+)*", prefix))
            ):
                continue  # files, categories, interlanguage links
            out.append(_render(node.text, hidden) if node.text is not None else title.lstrip(":").split("#")[0])
        elif isinstance(node, nodes.ExternalLink):
            if node.brackets:
                out.append(_render(node.title, hidden) if node.title is not None else "")
            else:
                out.append(str(node.url))
        elif isinstance(node, nodes.Heading):
            out.append("\n" + _render(node.title, hidden).strip() + "\n")
        elif isinstance(node, nodes.HTMLEntity):
            try:
                out.append(node.normalize())
            except ValueError:
                pass
        elif isinstance(node, nodes.Tag):
            tag = str(node.tag).strip().lower()
            if tag in _DROP_TAGS:
                continue
            if tag in ("br", "hr"):
                out.append("\n")
            elif tag in ("li", "dt", "dd") and node.wiki_markup:
                continue  # list markers; the item's text follows as plain nodes
            elif node.contents is not None:
                inner = _render(node.contents, hidden)
                out.append(f"\n{inner}\n" if tag in ("p", "div", "blockquote", "poem", "center") else inner)
        # templates, comments, arguments, parser functions: dropped
    return "".join(out)


def reread_page(path: str, offset: int, *, record_id: str | None = None,
                options: dict[str, Any] | None = None) -> Doc | ReadError:
    opts = dict(options or {})
    unit = WorkUnit(input_index=0, path=path, source=opts.pop("source", ""), kind="mediawiki", options=opts)
    for item in read(unit, start=offset, only_first=True):
        if isinstance(item, Doc) and record_id is not None and item.provenance.record_id != record_id:
            return ReadError(path, "record_not_found", f"page at {offset} is {item.provenance.record_id}, "
                             f"not {record_id}", offset)
        return item
    return ReadError(path, "record_not_found", f"no article page at offset {offset}", offset)
