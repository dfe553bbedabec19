"""Small WARC / ARC archives written byte by byte for the reader tests (no third-party writer, so
the tests do not share a bug with the reader).  Each writer returns where every record landed."""

from __future__ import annotations

import base64
import gzip
import hashlib
import zlib
from dataclasses import dataclass

import brotli

KK_HTML = (
    '<!doctype html><html lang="kk"><head><meta charset="utf-8"><title>Қазақ тілі туралы</title>'
    '<meta name="robots" content="noai, noindex"></head><body><article><h1>Қазақ тілі</h1>'
    "<p>Қазақ тілі — түркі тілдерінің қыпшақ тобына жататын тіл. Қазақстан Республикасының мемлекеттік "
    "тілі болып табылады. Бұл тілде он миллионнан астам адам сөйлейді және ол бай әдеби мұраға ие.</p>"
    "<p>Қазақ жазуы бірнеше рет өзгерді: араб, латын және кирилл әліпбилері қолданылды. Қазіргі уақытта "
    "латын әліпбиіне көшу жоспарлануда, бұл туралы көптеген пікірталастар жүріп жатыр.</p>"
    '</article><footer><a rel="license" href="https://creativecommons.org/licenses/by-sa/4.0/">CC</a>'
    "</footer></body></html>"
)
RU_HTML_CP1251 = (
    '<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1251">'
    "<title>Новости Алматы</title></head><body><article><p>Сегодня в Алматы прошёл большой городской "
    "праздник, посвящённый дню города. Тысячи жителей вышли на улицы, чтобы посмотреть концерт и "
    "салют.</p><p>Организаторы отметили, что мероприятие прошло спокойно и без происшествий, а погода "
    "порадовала всех гостей праздника.</p></article></body></html>"
).encode("cp1251")
EN_HTML = (
    b"<html><head><title>Plain page</title><meta name=\"tdm-reservation\" content=\"1\"></head><body>"
    b"<article><p>This is an English page about the steppe. The steppe stretches for thousands of kilometres "
    b"and is home to many animals and plants that have adapted to its climate.</p><p>Winters are cold and "
    b"summers are hot, and the wind blows almost all year round across the open plains.</p></article>"
    b"</body></html>"
)


@dataclass
class Written:
    record_id: str | None
    offset: int  # file offset of the record (of its member)
    length: int
    warc_type: str
    url: str | None


def http_response(body: bytes, *, status: str = "200 OK", content_type: str = "text/html; charset=utf-8",
                  extra: list[tuple[str, str]] = ()) -> bytes:
    lines = [f"HTTP/1.1 {status}", f"Content-Type: {content_type}", *(f"{k}: {v}" for k, v in extra)]
    if not any(k.lower() == "transfer-encoding" for k, _ in extra):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def chunked(body: bytes, size: int = 50) -> bytes:
    parts = [b"%x\r\n%s\r\n" % (len(body[i : i + size]), body[i : i + size]) for i in range(0, len(body), size)]
    return b"".join(parts) + b"0\r\n\r\n"


def warc_record(n: int, warc_type: str, url: str | None, content: bytes, *, content_type: str,
                digest: bool = True, extra: list[tuple[str, str]] = ()) -> tuple[str, bytes]:
    rid = f"<urn:uuid:00000000-0000-0000-0000-{n:012d}>"
    headers = [("WARC-Type", warc_type), ("WARC-Record-ID", rid), ("WARC-Date", f"2024-05-0{1 + n % 9}T10:00:00Z")]
    if url:
        headers.append(("WARC-Target-URI", url))
    if digest and warc_type == "response" and b"\r\n\r\n" in content:
        payload = content.split(b"\r\n\r\n", 1)[1]
        headers.append(("WARC-Payload-Digest", "sha1:" + base64.b32encode(hashlib.sha1(payload).digest()).decode()))
    headers += list(extra)
    headers += [("Content-Type", content_type), ("Content-Length", str(len(content)))]
    head = "WARC/1.0\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
    return rid, head.encode() + content + b"\r\n\r\n"


def sample_records() -> list[tuple[str, str | None, bytes]]:
    """(warc_type, url, record bytes) of a crawl with one of each case the reader must handle."""
    http = "application/http; msgtype=response"
    recs = []
    n = 0

    def add(wtype, url, content, ctype, **kw):
        nonlocal n
        n += 1
        rid, data = warc_record(n, wtype, url, content, content_type=ctype, **kw)
        recs.append((wtype, url, data, rid))

    add("warcinfo", None, b"software: kazcorpus-tests\r\n", "application/warc-fields")
    add("request", "https://kk.example.kz/til", b"GET /til HTTP/1.1\r\nHost: kk.example.kz\r\n\r\n",
        "application/http; msgtype=request")
    add("response", "https://kk.example.kz/til", http_response(KK_HTML.encode(), extra=[
        ("X-Robots-Tag", "noimageai")]), http)
    add("response", "https://ru.example.kz/news", http_response(
        gzip.compress(RU_HTML_CP1251, mtime=0), content_type="text/html",
        extra=[("Content-Encoding", "gzip")]), http, digest=False)
    add("response", "https://en.example.kz/br", http_response(
        brotli.compress(EN_HTML), content_type="text/html; charset=utf-8", extra=[("Content-Encoding", "br")]), http)
    add("response", "https://en.example.kz/deflate", http_response(
        zlib.compress(EN_HTML), extra=[("Content-Encoding", "deflate")]), http)
    add("response", "https://en.example.kz/chunked", http_response(
        chunked(EN_HTML), extra=[("Transfer-Encoding", "chunked")]), http, digest=False)
    add("response", "https://kk.example.kz/logo.png", http_response(b"\x89PNG\r\n\x1a\n" + bytes(200),
                                                                    content_type="image/png"), http)
    add("response", "https://kk.example.kz/missing", http_response(b"<html>not found</html>", status="404 Not Found"),
        http)
    add("response", "https://kk.example.kz/big", http_response(b"<html><body>" + b"x" * 3000 + b"</body></html>"), http)
    add("resource", "file:///notes/kk.txt", "Қазақ мәтіні. Екінші сөйлем.\n".encode(), "text/plain; charset=utf-8")
    add("revisit", "https://kk.example.kz/til", http_response(b""), http,
        extra=[("WARC-Refers-To-Target-URI", "https://kk.example.kz/til"),
               ("WARC-Profile", "http://netpreserve.org/warc/1.0/revisit/identical-payload-digest")])
    add("metadata", "https://kk.example.kz/til", b"outlinks: 3\r\n", "application/warc-fields")
    add("response", "https://kk.example.kz/again", http_response(KK_HTML.encode()), http)
    return recs


def write_warc(path, records, mode: str = "per_record") -> list[Written]:
    """mode: "per_record" (one gzip member per record), "whole" (one gzip stream), "plain"."""
    out = bytearray()
    written = []
    for wtype, url, data, rid in records:
        start = len(out)
        out += gzip.compress(data, mtime=0) if mode == "per_record" else data
        written.append(Written(rid, start, len(out) - start, wtype, url))
    blob = gzip.compress(bytes(out), mtime=0) if mode == "whole" else bytes(out)
    with open(path, "wb") as f:
        f.write(blob)
    return written


def arc_record(url: str, date: str, mime: str, content: bytes, *, length_delta: int = 0) -> bytes:
    line = f"{url} 10.0.0.1 {date} {mime} {len(content) + length_delta}\n".encode()
    return line + content + b"\n"


def write_arc(path, *, gz: bool, short_last: bool = False) -> list[Written]:
    body = b"1 0 kazcorpus-tests\nURL IP-address Archive-date Content-type Archive-length\n\n"
    recs = [
        arc_record("filedesc://test.arc", "20080430204825", "text/plain", body),
        arc_record("dns:kk.example.kz", "20080430204825", "text/dns", b"10.0.0.1\n"),
        arc_record("http://kk.example.kz/a page with spaces.html", "20080430204826", "text/html",
                   http_response(KK_HTML.encode())),
        arc_record("http://ru.example.kz/old", "null", "text/html",
                   http_response(RU_HTML_CP1251, content_type="text/html")),
        arc_record("http://en.example.kz/last", "20080430204827", "text/html", http_response(EN_HTML),
                   length_delta=7 if short_last else 0),
    ]
    out = bytearray()
    written = []
    for data in recs:
        start = len(out)
        out += gzip.compress(data, mtime=0) if gz else data
        url = data.split(b"\n", 1)[0].decode().rsplit(" ", 4)[0]
        written.append(Written(None, start, len(out) - start, "arc", url))
    with open(path, "wb") as f:
        f.write(bytes(out))
    return written
