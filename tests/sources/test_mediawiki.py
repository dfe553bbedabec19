"""MediaWiki dump reader and wikitext -> text."""

from __future__ import annotations

import bz2
import gzip
import lzma
from pathlib import Path

import pytest

from kazcorpus.pipeline.record import Doc, ReadError
from kazcorpus.sources import WorkUnit, mediawiki, read_unit
from kazcorpus.sources.html import ExtractOperator
from kazcorpus.sources.mediawiki import wikitext_to_text
from kazcorpus.sources.reread import reread_doc

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "web" / "wiki"

ARTICLE = """{{Infobox country|name=Қазақстан|capital=[[Астана]]}}
'''Қазақстан''' — Орталық Азиядағы [[мемлекет]].<ref>{{cite web|url=http://x.kz}}</ref> Астанасы — [[Астана|Астана қаласы]].
[[Сурет:Flag of Kazakhstan.svg|thumb|Ту]]
== Тарихы ==
Тарихы өте бай.<!-- hidden comment -->
{| class="wikitable"
! Жыл !! Халқы
|-
| 2020 || 18 млн
|}
* Бірінші тармақ
[[Санат:Елдер]]
[[en:Kazakhstan]]
"""


def page(pid, title, text, ns=0, revisions=1, redirect=False):
    revs = "".join(
        f"<revision><id>{pid * 10 + r}</id><timestamp>2024-01-0{r + 1}T00:00:00Z</timestamp>"
        f"<model>wikitext</model><format>text/x-wiki</format>"
        f'<text xml:space="preserve">{escape(text if r == revisions - 1 else "old revision")}</text>'
        f"<sha1>abc{pid}</sha1></revision>"
        for r in range(revisions))
    red = f'<redirect title="{escape(text)}" />' if redirect else ""
    return f"  <page>\n    <title>{escape(title)}</title>\n    <ns>{ns}</ns>\n    <id>{pid}</id>\n{red}{revs}\n  </page>\n"


def escape(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def dump_xml() -> bytes:
    head = ('<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/" version="0.10" xml:lang="kk">\n'
            "  <siteinfo>\n    <sitename>Уикипедия</sitename>\n    <dbname>kkwiki</dbname>\n"
            "    <base>https://kk.wikipedia.org/wiki/Басты_бет</base>\n    <namespaces>\n"
            '      <namespace key="0" case="first-letter" />\n'
            '      <namespace key="6" case="first-letter">Сурет</namespace>\n'
            '      <namespace key="14" case="first-letter">Санат</namespace>\n'
            "    </namespaces>\n  </siteinfo>\n")
    pages = [
        page(1, "Қазақстан", ARTICLE, revisions=2),
        page(2, "Талқылау:Қазақстан", "talk", ns=1),
        page(3, "ҚР", "Қазақстан", redirect=True),
        page(4, "Абай", "'''Абай Құнанбайұлы''' — ақын, ағартушы, [[философ]]."),
        page(5, "Астана", "#АЙДАУ [[Нұр-Сұлтан]]"),
    ]
    return (head + "".join(pages) + "</mediawiki>\n").encode()


@pytest.fixture
def dumps(tmp_path):
    raw = dump_xml()
    out = {}
    for suffix, comp in ((".xml", lambda b: b), (".xml.bz2", bz2.compress), (".xml.gz", gzip.compress),
                         (".xml.xz", lzma.compress)):
        p = tmp_path / f"kkwiki{suffix}"
        p.write_bytes(comp(raw))
        out[suffix] = p
    return out


def read(path):
    return list(read_unit(WorkUnit(0, str(path), "kkwiki", "mediawiki")))


def test_articles_only_with_page_facts(dumps):
    items = read(dumps[".xml"])
    assert all(isinstance(i, Doc) for i in items)
    assert [d.metadata["title"] for d in items] == ["Қазақстан", "Абай"]
    kz = items[0]
    assert kz.provenance.record_id == "1" and kz.metadata["revision_id"] == "11"  # the last revision
    assert kz.metadata["dbname"] == "kkwiki" and kz.provenance.date == "2024-01-02T00:00:00Z"
    assert kz.url == "https://kk.wikipedia.org/wiki/Қазақстан"
    assert kz.raw_type == "wikitext" and kz.raw.decode().startswith("{{Infobox")
    assert "Сурет" in kz.metadata["wiki_hidden_ns"]


def test_offsets_point_at_the_page(dumps):
    raw = dump_xml()
    for d in read(dumps[".xml"]):
        chunk = raw[d.provenance.offset : d.provenance.offset + d.provenance.length]
        assert chunk.startswith(b"<page>") and chunk.endswith(b"</page>")
        assert f"<id>{d.provenance.record_id}</id>".encode() in chunk


def test_all_compressions_same_documents(dumps):
    base = [(d.id, d.raw, d.provenance.offset) for d in read(dumps[".xml"])]
    for suffix in (".xml.bz2", ".xml.gz", ".xml.xz"):
        assert [(d.id, d.raw, d.provenance.offset) for d in read(dumps[suffix])] == base


def test_wikitext_to_text_drops_markup():
    text = wikitext_to_text(ARTICLE, hidden_namespaces=["Сурет", "Санат"])
    assert text.startswith("Қазақстан — Орталық Азиядағы мемлекет.")
    assert "Астана қаласы" in text and "Тарихы өте бай." in text and "Бірінші тармақ" in text
    for gone in ("Infobox", "cite", "Flag", "Жыл", "18 млн", "Елдер", "Kazakhstan", "hidden", "{{", "[[", "'''"):
        assert gone not in text, gone


def test_extract_operator_converts_wikitext(dumps):
    op = ExtractOperator()
    d = read(dumps[".xml"])[0]
    op.annotate(d)
    assert op.decide(d) is None and d.provenance.extractor.startswith("mwparserfromhell ")
    assert "Flag" not in d.text and "мемлекет" in d.text


@pytest.mark.parametrize("suffix", [".xml", ".xml.bz2", ".xml.xz"])
def test_reread_every_page(dumps, suffix):
    for d in read(dumps[suffix]):
        again = reread_doc(d, kind="mediawiki")
        assert isinstance(again, Doc)
        assert (again.id, again.raw, again.metadata, again.provenance) == (d.id, d.raw, d.metadata, d.provenance)


def test_truncated_dump_keeps_pages(tmp_path):
    raw = dump_xml()
    cut = raw.index("<title>Абай".encode()) + 20
    # bz2 decompresses whole blocks: a multistream dump (as Wikimedia's) loses only the cut stream
    split = raw.index(b"  <page>", raw.index(b"</page>"))
    multistream = bz2.compress(raw[:split]) + bz2.compress(raw[split:])[:-40]
    for name, data in (("t.xml", raw[:cut]), ("t.xml.bz2", multistream)):
        p = tmp_path / name
        p.write_bytes(data)
        items = read(p)
        assert [d.metadata["title"] for d in items if isinstance(d, Doc)][:1] == ["Қазақстан"]
        assert isinstance(items[-1], ReadError) and items[-1].reason == "truncated_dump"


def test_unsupported_compression(tmp_path):
    p = tmp_path / "d.xml.7z"
    p.write_bytes(b"7z\xbc\xaf")
    assert [e.reason for e in mediawiki.read(WorkUnit(0, str(p), "s", "mediawiki"))] == ["unsupported_compression"]


REAL = sorted(p for p in SHARED.rglob("*") if p.is_file()) if SHARED.is_dir() else []


@pytest.mark.skipif(not REAL, reason="shared wiki data absent")
@pytest.mark.parametrize("path", REAL, ids=lambda p: p.name)
def test_every_shared_dump_reads_without_crash(path):
    items = list(read_unit(WorkUnit(0, str(path), "real", "mediawiki")))
    assert all(isinstance(i, Doc | ReadError) for i in items)
    if "truncated" in path.name:
        assert isinstance(items[-1], ReadError) and items[-1].reason == "truncated_dump"
        assert sum(isinstance(i, Doc) for i in items) > 100
    docs = [i for i in items if isinstance(i, Doc)]
    for d in docs[:2] + docs[-1:]:
        again = reread_doc(d, kind="mediawiki")
        assert isinstance(again, Doc) and again.raw == d.raw and again.id == d.id
