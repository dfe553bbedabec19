"""The `extract` stage: charset, page facts, rights signals, time limit, drop reasons."""

from __future__ import annotations

import multiprocessing
import pickle
import threading
import time

import pytest

from kazcorpus.pipeline.record import Doc, Provenance, text_hash
from kazcorpus.sources import html as html_mod
from kazcorpus.sources.html import (
    ExtractConfig,
    ExtractOperator,
    decode_payload,
    extractor_name,
    html_lang,
    licence_name,
    rights_signals,
)
from tests.sources.archive_fixtures import EN_HTML, KK_HTML, RU_HTML_CP1251


def make_doc(raw: bytes, raw_type: str = "html", **meta) -> Doc:
    return Doc(id="x", source="t", provenance=Provenance(uri="mem"), raw=raw, raw_type=raw_type, metadata=meta)


def test_charset_order_header_meta_utf8_detected():
    assert decode_payload(KK_HTML.encode(), "utf-8")[1:] == ("utf-8", "http")
    text, codec, source = decode_payload(RU_HTML_CP1251, None)
    assert (codec, source) == ("cp1251", "meta") and "Алматы" in text
    # a header that cannot decode the bytes is not trusted over the page
    assert decode_payload(KK_HTML.encode(), "ascii")[2] != "http"
    bare = "Қазақстан Республикасы — Орталық Азиядағы мемлекет. Астанасы — Астана қаласы.".encode()
    assert decode_payload(bare, None)[1:] == ("utf-8", "utf-8")
    undeclared = ("<p>Сегодня в Алматы прошёл большой городской праздник, тысячи жителей вышли на улицы "
                  "посмотреть концерт.</p>").encode("cp1251")
    text, _codec, source = decode_payload(undeclared, None)
    assert source == "detected" and "праздник" in text


def test_html_lang_and_licence_names():
    assert html_lang(KK_HTML) == "kk"
    assert html_lang('<html xml:lang="ru_RU">') == "ru-ru"
    assert html_lang("<html><body lang='en'>") is None
    assert licence_name("https://creativecommons.org/licenses/by-sa/4.0/") == "cc-by-sa-4.0"
    assert licence_name("https://creativecommons.org/publicdomain/zero/1.0/") == "cc0-1.0"
    assert licence_name("https://example.kz/terms") is None


@pytest.mark.parametrize("page, header, opted_out", [
    ('<meta name="robots" content="noai">', {}, True),
    ('<meta name="robots" content="noindex, nofollow">', {}, False),
    ('<meta name="robots" content="noimageai">', {}, False),
    ('<meta name="tdm-reservation" content="1">', {}, True),
    ('<meta name="tdm-reservation" content="0">', {}, False),
    ("<p>nothing</p>", {"tdm_reservation_header": "1"}, True),
    ("<p>nothing</p>", {"x_robots_tag": "googlebot: noai"}, True),
    ("<p>nothing</p>", {}, False),
])
def test_rights_opt_out(page, header, opted_out):
    rights = rights_signals(f"<html><head>{page}</head><body></body></html>", header)
    assert rights["opted_out"] is opted_out


def test_rights_keeps_signals():
    rights = rights_signals(KK_HTML, {"x_robots_tag": "noimageai"})
    assert rights["robots"] == ["noimageai", "noai", "noindex"]
    assert rights["licenses"] == ["cc-by-sa-4.0"]
    assert rights["license_links"] == ["https://creativecommons.org/licenses/by-sa/4.0/"]


def test_operator_extracts_text_and_page_facts():
    op = ExtractOperator()
    doc = make_doc(KK_HTML.encode(), charset="utf-8")
    op.annotate(doc)
    assert op.decide(doc) is None
    assert "қыпшақ тобына" in doc.text and doc.raw is None
    assert doc.metadata["title"].startswith("Қазақ тілі")  # trafilatura prefers the <h1>
    assert doc.metadata["html_lang"] == "kk"
    assert doc.metadata["rights"]["opted_out"] is True
    assert doc.provenance.extractor == extractor_name() and extractor_name().startswith("trafilatura ")
    assert doc.provenance.text_hash == text_hash(doc.text)
    ru = make_doc(RU_HTML_CP1251)
    op.annotate(ru)
    assert "праздник" in ru.text and ru.metadata["charset_source"] == "meta"


def test_operator_text_payloads_and_drops():
    op = ExtractOperator()
    txt = make_doc("Бірінші жол\r\nЕкінші жол".encode(), "text", charset="utf-8")
    op.annotate(txt)
    assert txt.text == "Бірінші жол\nЕкінші жол" and op.decide(txt) is None
    skipped = Doc(id="s", source="t", provenance=Provenance(uri="m"), metadata={"read_skip": "mime_not_allowed"})
    op.annotate(skipped)
    assert op.decide(skipped) == "mime_not_allowed"
    empty = make_doc(b"<html><body></body></html>")
    op.annotate(empty)
    assert op.decide(empty) == "no_text_extracted"


def test_signal_timeout_drops_document(monkeypatch):
    def slow(*args, **kwargs):
        time.sleep(2)
        return {"text": "late"}

    monkeypatch.setattr(html_mod, "_trafilatura", slow)
    op = ExtractOperator(config=ExtractConfig(timeout_s=0.05, timeout_mode="signal"))
    doc = make_doc(EN_HTML)
    t0 = time.perf_counter()
    op.annotate(doc)
    assert time.perf_counter() - t0 < 1.0
    assert op.decide(doc) == "extraction_timeout"


def test_process_mode_kills_and_restarts_its_child():
    op = ExtractOperator(config=ExtractConfig(timeout_s=0.01, timeout_mode="process"))  # child can't start that fast
    results = {}

    def work():
        doc = make_doc(EN_HTML)
        op.annotate(doc)
        results["first"] = op.decide(doc)
        op.config = ExtractConfig(timeout_s=60, timeout_mode="process")
        doc2 = make_doc(EN_HTML)
        op.annotate(doc2)
        results["second"] = (op.decide(doc2), doc2.text)

    t = threading.Thread(target=work)
    t.start()
    t.join(120)
    assert results["first"] == "extraction_timeout"
    reason, text = results["second"]
    assert reason is None and "steppe" in text


def _spin(seconds, *, swallow=False):
    """Pure-Python busy work (what slow trafilatura pages do); `swallow`: inside `except Exception`,
    as trafilatura wraps many of its steps."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            sum(range(100))
        except Exception:  # noqa: BLE001 - the point: a timeout must not be swallowed here
            if not swallow:
                raise
    return {"text": "late"}


@pytest.mark.parametrize("swallow", [False, True])
def test_auto_mode_outside_main_thread_interrupts_the_worker_thread(monkeypatch, swallow):
    monkeypatch.setattr(html_mod, "_trafilatura", lambda *a, **k: _spin(5, swallow=swallow))
    op = ExtractOperator(config=ExtractConfig(timeout_s=0.05))
    results = {}

    def work():
        t0 = time.perf_counter()
        doc = make_doc(EN_HTML)
        op.annotate(doc)
        results["first"] = (op.decide(doc), time.perf_counter() - t0)
        # The thread goes on normally afterwards: nothing is left scheduled for it.
        _spin(0.3)
        monkeypatch.setattr(html_mod, "_trafilatura", lambda *a, **k: {"text": "on time " * 5})
        doc2 = make_doc(EN_HTML)
        op.annotate(doc2)
        results["second"] = (op.decide(doc2), doc2.text)

    t = threading.Thread(target=work)
    t.start()
    t.join(30)
    reason, seconds = results["first"]
    assert reason == "extraction_timeout" and seconds < 2
    assert results["second"][0] is None and results["second"][1].startswith("on time")
    assert multiprocessing.active_children() == []  # no extraction process was started


def test_watchdog_limits_threads_independently():
    from kazcorpus.sources.html import _WATCHDOG, ExtractionTimeout

    out = {}

    def work(name, seconds, limit):
        try:
            out[name] = _WATCHDOG.call(limit, _spin, seconds)["text"]
        except ExtractionTimeout:
            out[name] = "timeout"

    threads = [threading.Thread(target=work, args=("slow", 5, 0.1)),
               threading.Thread(target=work, args=("quick", 0.2, 3))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert out == {"slow": "timeout", "quick": "late"}


def test_operator_pickles_before_and_after_setup():
    op = ExtractOperator(config=ExtractConfig(min_chars=5))
    again = pickle.loads(pickle.dumps(op))
    assert again.config == op.config
    doc = make_doc(EN_HTML)
    op.annotate(doc)
    again = pickle.loads(pickle.dumps(op))
    assert again.config.min_chars == 5 and not getattr(again, "_ready", False)


def test_title_and_date_come_cheaply_from_the_page_head():
    from kazcorpus.sources.html import page_date, page_title

    head = ("<html><head><title> Жаңалық &amp; <b>1</b></title>"
            "<meta property='article:published_time' content='2024-05-03T10:00:00+05:00'></head>")
    assert page_title(head) == "Жаңалық & <b>1</b>"
    assert page_date(head) == "2024-05-03"
    assert page_date('<script type="application/ld+json">{"datePublished": "2023-12-31"}</script>') == "2023-12-31"
    assert page_date("<time datetime='2022-11-30T00:00'>") == "2022-11-30"
    assert page_date("<time datetime='1850-11-30'>") is None  # not a web publication date
    assert page_date("<meta name='date' content='not a date at all'>") is None
    assert page_title("<p>no head</p>") is None
