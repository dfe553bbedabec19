"""The crawler against web sites served on 127.0.0.1 by the tests themselves.

Each crawl runs in a child process (`python -m kazcorpus.sources.crawl`), as the Twisted reactor
cannot start twice in one process.  Timing claims are measured on the server side.  No test
touches any address outside the loopback range: the only foreign link (127.0.0.2) is out of scope
and must never be fetched.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("scrapy")
pytest.importorskip("warcio")

from warcio.archiveiterator import ArchiveIterator  # noqa: E402

from kazcorpus.sources import WorkUnit, read_unit  # noqa: E402
from kazcorpus.sources.crawl.cli import add_parser  # noqa: E402
from kazcorpus.sources.crawl.cli import main as crawl_main  # noqa: E402
from kazcorpus.sources.crawl.config import ConfigError, load_config  # noqa: E402
from kazcorpus.sources.crawl.scope import Scope, normalise_url  # noqa: E402
from kazcorpus.sources.crawl.warcfiles import read_log, recover_open_files  # noqa: E402
from tests.sources.crawl_site import Site, html, links  # noqa: E402

DELAY = 0.15
HUGE_LIMIT = 50_000


def write_config(tmp: Path, **extra: object) -> Path:
    values = {
        "contact_url": "http://127.0.0.1/contact",
        "delay": DELAY, "timeout": 0.5, "retries": 1, "max_depth": 3, "max_page_bytes": HUGE_LIMIT,
        "concurrent_requests": 2, "warc_max_bytes": 4096, "log_level": "ERROR",
        **extra,
    }
    import yaml

    path = tmp / "crawl.yaml"
    path.write_text(yaml.safe_dump(values), encoding="utf-8")
    return path


def crawl(seeds: list[str], out: Path, config: Path, *extra: str, wait: bool = True,
          timeout: float = 45) -> subprocess.CompletedProcess | subprocess.Popen:
    seeds_file = out.parent / f"{out.name}-seeds.txt"
    seeds_file.write_text("# test seeds\n" + "\n".join(seeds) + "\n", encoding="utf-8")
    cmd = [sys.executable, "-m", "kazcorpus.sources.crawl", str(seeds_file), "--output", str(out),
           "--allow", "127.0.0.1", "--config", str(config), *extra]
    if not wait:
        return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def gaps(times: list[float]) -> list[float]:
    return [b - a for a, b in zip(times, times[1:], strict=False)]


def page_records(out: Path) -> dict[str, tuple[Path, int, dict, bytes]]:
    """url -> (file, offset, WARC headers, payload) of every response record under OUT/warc."""
    found = {}
    for path in sorted((out / "warc").glob("*.warc.gz")):
        with open(path, "rb") as f:
            it = ArchiveIterator(f)
            for rec in it:
                if rec.rec_type == "response":
                    payload = rec.content_stream().read()  # before get_record_offset(), which skips it
                    found[rec.rec_headers.get_header("WARC-Target-URI")] = (
                        path, it.get_record_offset(), dict(rec.rec_headers.headers), payload)
    return found


# -- the main test site ---------------------------------------------------------------------------
CALENDAR_START = 2024 * 12  # months since year 0: /calendar/2024-01


def _calendar(handler) -> tuple[int, dict[str, str], bytes]:  # noqa: ANN001
    y, m = handler.path.rsplit("/", 1)[1].split("-")
    nxt = int(y) * 12 + int(m)  # the next month, as an endless trap
    return html(links(f"/calendar/{nxt // 12}-{nxt % 12 + 1:02d}"))


def main_site() -> Site:
    def slow(seconds: float, body: str):  # noqa: ANN202
        def route(handler):  # noqa: ANN001, ANN202
            time.sleep(seconds)
            return html(body)
        return route

    site = Site()
    r = site.routes
    r["/robots.txt"] = lambda h: (200, {"Content-Type": "text/plain"},
                                  f"User-agent: *\nDisallow: /private/\n\nSitemap: {site.base}/sitemap.xml\n".encode())
    r["/sitemap.xml"] = lambda h: (200, {"Content-Type": "application/xml"}, (
        '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<url><loc>{site.base}/from-sitemap</loc></url></urlset>").encode())
    r["/"] = lambda h: html(links(
        "/page/1", "/page/2", "/page/1#section", "/page/1?utm_source=x", "/private/secret", "/redirect",
        "/missing", "/error", "/huge", "/image", "/slow", "/slowish", "/gzipped", "/calendar/2024-01",
        "http://127.0.0.2:9/outside", nofollow=("/nofollow",)))
    r["/page/1"] = lambda h: html("Бірінші бет. " + links("/", "/page/2"))
    r["/page/2"] = lambda h: html("Екінші бет. " + links("/page/1"))
    r["/private/secret"] = lambda h: html("secret")
    r["/nofollow"] = lambda h: html("nofollow")
    r["/redirect"] = lambda h: (302, {"Location": "/page/redirected"}, b"")
    r["/page/redirected"] = lambda h: html("redirected here")
    r["/missing"] = lambda h: html("no such page", 404)
    r["/error"] = lambda h: html("boom", 500)
    r["/huge"] = lambda h: html("Қазақ " * 60_000)
    r["/image"] = lambda h: (200, {"Content-Type": "image/png"}, b"\x89PNG" + b"\0" * 5000)
    r["/slow"] = slow(2.0, "too slow")
    r["/slowish"] = slow(0.25, "slow but fine")
    r["/from-sitemap"] = lambda h: html("found through the sitemap")
    r["/gzipped"] = lambda h: (200, {"Content-Type": "text/html", "Content-Encoding": "gzip"},
                               gzip.compress("<html><body>Сығылған бет</body></html>".encode()))
    site.prefixes["/calendar/"] = _calendar
    return site


@pytest.fixture(scope="module")
def main_crawl(tmp_path_factory):  # noqa: ANN001, ANN201
    tmp = tmp_path_factory.mktemp("crawl")
    with main_site() as site:
        out = tmp / "out"
        result = crawl([site.base + "/"], out, write_config(tmp))
        assert result.returncode == 0, result.stderr
        log = read_log(out / "crawl-log.jsonl")
        yield site, out, log, site.paths()


def _entries(log: list[dict], path: str) -> list[dict]:
    return [e for e in log if e["url"].split("127.0.0.1:", 1)[-1].split("/", 1)[-1] == path.lstrip("/")]


def test_robots_disallow_obeyed(main_crawl):  # noqa: ANN001
    site, out, log, paths = main_crawl
    assert "/private/secret" not in paths
    assert [e["reason"] for e in _entries(log, "/private/secret")] == ["robots_disallowed"]
    assert paths.count("/robots.txt") == 1
    assert paths[0] == "/robots.txt"  # nothing is fetched from a host before its robots.txt


def test_per_host_delay_is_honoured(main_crawl):  # noqa: ANN001
    site, *_ = main_crawl
    measured = gaps(site.times())
    assert len(measured) >= 15
    # measured where the site owner would: on arrival, so network and thread jitter count against us
    assert min(measured) >= DELAY - 0.05, measured
    assert statistics.median(measured) >= DELAY, measured


def test_redirect_followed_and_recorded(main_crawl):  # noqa: ANN001
    site, out, log, paths = main_crawl
    assert paths.count("/redirect") == 1 and paths.count("/page/redirected") == 1
    [hop] = _entries(log, "/redirect")
    assert hop["status"] == 302 and hop["location"] == "/page/redirected"
    assert hop["warc"].startswith("diagnostics/")
    [final] = _entries(log, "/page/redirected")
    assert final["status"] == 200 and final["warc"].startswith("warc/")


def test_http_errors_and_timeouts_logged(main_crawl):  # noqa: ANN001
    site, out, log, paths = main_crawl
    [missing] = _entries(log, "/missing")
    assert missing["status"] == 404 and missing["warc"].startswith("diagnostics/")
    errors = _entries(log, "/error")
    assert [e["status"] for e in errors] == [500, 500]  # retried once (retries: 1), then given up
    assert paths.count("/error") == 2
    slow = _entries(log, "/slow")
    assert [e["reason"] for e in slow] == ["timeout", "timeout"]
    assert all(e["status"] is None for e in slow)
    [slowish] = _entries(log, "/slowish")  # a slow server within the timeout is simply crawled
    assert slowish["status"] == 200 and slowish["reason"] is None


def test_huge_page_cut_at_size_limit(main_crawl):  # noqa: ANN001
    site, out, log, paths = main_crawl
    [huge] = _entries(log, "/huge")
    assert huge["truncated"] is True and huge["bytes"] == HUGE_LIMIT
    _, _, headers, payload = page_records(out)[site.base + "/huge"]
    assert headers["WARC-Truncated"] == "length"
    assert len(payload) == HUGE_LIMIT
    assert payload.startswith(b"<!doctype html>")


def test_content_type_limit(main_crawl):  # noqa: ANN001
    site, out, log, paths = main_crawl
    [image] = _entries(log, "/image")
    assert image["reason"] == "content_type_not_allowed"
    assert site.base + "/image" not in page_records(out)


def test_crawl_trap_bounded_by_depth(main_crawl):  # noqa: ANN001
    site, out, log, paths = main_crawl
    months = [p for p in paths if p.startswith("/calendar/")]
    # depth 1, 2 and 3 (max_depth: 3) from the seed at depth 0
    assert months == ["/calendar/2024-01", "/calendar/2024-02", "/calendar/2024-03"]
    assert [e["reason"] for e in _entries(log, "/calendar/2024-04")] == ["max_depth"]


def test_scope_dedup_nofollow_and_sitemap(main_crawl):  # noqa: ANN001
    site, out, log, paths = main_crawl
    pages = [p for p in paths if p not in ("/error", "/slow")]  # retried on purpose
    assert len(pages) == len(set(pages)), "a URL was fetched twice"
    assert "/page/1?utm_source=x" not in paths  # tracking parameter stripped, then deduplicated
    assert "/nofollow" not in paths
    assert [e["reason"] for e in log if "127.0.0.2" in e["url"]] == ["out_of_scope"]
    assert "/from-sitemap" in paths and "/sitemap.xml" in paths
    [sm] = _entries(log, "/sitemap.xml")
    assert sm["kind"] == "sitemap" and sm["warc"].startswith("discovery/")


def test_warcs_read_back_by_the_project_reader(main_crawl):  # noqa: ANN001
    site, out, log, paths = main_crawl
    files = sorted((out / "warc").glob("*.warc.gz"))
    assert len(files) >= 2, "warc_max_bytes: 4096 should have rotated the page WARCs"
    assert not list(out.rglob("*.open"))
    fetched = {e["url"]: e for e in log if e.get("warc", "").startswith("warc/")}
    docs = {}
    for path in files:
        with open(path, "rb") as f:
            types = [rec.rec_type for rec in ArchiveIterator(f)]
        assert types[0] == "warcinfo" and types[1:] == ["request", "response"] * ((len(types) - 1) // 2)
        with gzip.open(path) as g:  # one gzip member per record still reads as one stream
            assert g.read().startswith(b"WARC/1.0")
        for item in read_unit(WorkUnit(0, str(path), "crawl", "warc")):
            assert not hasattr(item, "reason") or item.reason is None, item
            docs[item.url] = item
    assert set(docs) == set(fetched)
    # stored as sent (compressed, with its Content-Encoding); the reader decodes it
    assert "Сығылған бет".encode() in docs[site.base + "/gzipped"].raw
    assert page_records(out)[site.base + "/gzipped"][3].startswith(b"<html>")
    doc = docs[site.base + "/page/1"]
    assert "Бірінші бет".encode() in doc.raw
    entry = fetched[site.base + "/page/1"]
    assert doc.provenance.offset == entry["offset"]
    assert Path(doc.provenance.uri).name == Path(entry["warc"]).name
    assert doc.provenance.date == entry["time"][:19] + "Z"
    assert doc.provenance.robots == entry["robots"]


def test_robots_decision_and_fetch_time_in_warc_headers(main_crawl):  # noqa: ANN001
    site, out, log, paths = main_crawl
    records = page_records(out)
    for url, (_, _, headers, _) in records.items():
        assert headers["WARC-Robots"] == "allowed", url
        assert headers["WARC-Date"].endswith("Z")
        assert headers["WARC-IP-Address"] == "127.0.0.1"
        assert headers["WARC-Crawl-Depth"].isdigit()
    assert records[site.base + "/"][2]["WARC-Crawl-Depth"] == "0"
    ua = [h.get("User-Agent") for _, p, h in site.hits if p == "/"][0]
    assert ua.startswith("kazcorpus-bot/") and "(+http://127.0.0.1/contact)" in ua


# -- politeness on other sites ------------------------------------------------------------------
def test_robots_crawl_delay_obeyed(tmp_path):  # noqa: ANN001
    site = Site()
    site.routes["/robots.txt"] = lambda h: (200, {"Content-Type": "text/plain"},
                                            b"User-agent: kazcorpus-bot\nCrawl-delay: 0.4\nDisallow:\n")
    site.routes["/"] = lambda h: html(links(*(f"/p{i}" for i in range(3))))
    for i in range(3):
        site.routes[f"/p{i}"] = lambda h: html("x")
    with site:
        result = crawl([site.base + "/"], tmp_path / "out", write_config(tmp_path, delay=0.05, sitemaps=False))
        assert result.returncode == 0, result.stderr
        measured = gaps(site.times())
    assert len(measured) == 4  # robots.txt, /, /p0, /p1, /p2
    assert min(measured) >= 0.35 and statistics.median(measured) >= 0.4, measured
    runs = (tmp_path / "out" / "crawl-runs.jsonl").read_text()
    assert '"crawl_delays": {"127.0.0.1": 0.4}' in runs


def test_concurrency_backoff_on_503_and_unavailable_robots(tmp_path):  # noqa: ANN001
    busy = {"n": 0}

    def flaky(handler):  # noqa: ANN001, ANN202
        busy["n"] += 1
        if busy["n"] == 1:
            return html("busy", 503, **{"Retry-After": "1"})
        return html("fine now")

    site = Site()
    site.routes["/robots.txt"] = lambda h: (404, {"Content-Type": "text/html"}, b"Disallow: /")
    site.routes["/"] = lambda h: html(links("/busy", "/after", "/s1", "/s2", "/s3"))

    def slow(handler):  # noqa: ANN001, ANN202 - slower than the delay: only the concurrency limit serialises
        time.sleep(0.3)
        return html("slow")

    for path in ("/s1", "/s2", "/s3"):
        site.routes[path] = slow
    site.routes["/busy"] = flaky
    site.routes["/after"] = lambda h: html("after")
    down = Site()  # robots.txt answers 500: RFC 9309 says "disallow everything"
    down.routes["/robots.txt"] = lambda h: html("down", 500)
    down.routes["/"] = lambda h: html("must not be fetched")
    with site, down:
        result = crawl([site.base + "/", down.base + "/"], tmp_path / "out",
                       write_config(tmp_path, delay=0.1, retries=1, sitemaps=False))
        assert result.returncode == 0, result.stderr
        hits = list(site.hits)
        down_paths = down.paths()
    assert site.max_active == 1  # per_host_concurrency: 1
    busy_times = [t for t, p, _ in hits if p == "/busy"]
    assert len(busy_times) == 2
    after_busy = [t for t, p, _ in hits if t > busy_times[0]]
    assert after_busy[0] - busy_times[0] >= 0.98  # Retry-After: 1 honoured by the next request to the host
    # the 404 robots.txt body ("Disallow: /") was not taken as rules
    assert "/after" in [p for _, p, _ in hits]
    log = read_log(tmp_path / "out" / "crawl-log.jsonl")
    assert down_paths == ["/robots.txt", "/robots.txt"]  # retried once, never a page
    assert [e["reason"] for e in log if e["url"] == down.base + "/"] == ["robots_unavailable"]
    headers = page_records(tmp_path / "out")[site.base + "/after"][2]
    assert headers["WARC-Robots"] == "allowed_no_robots_txt"


# -- stop, resume, recrawl ----------------------------------------------------------------------
def chain_site(n: int) -> Site:
    site = Site()
    site.routes["/robots.txt"] = lambda h: (200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow:\n")
    site.routes["/"] = lambda h: html(links(*(f"/n{i}" for i in range(n))))

    def page(i: int):  # noqa: ANN202
        def route(handler):  # noqa: ANN001, ANN202
            # even pages have not changed since the first crawl: 304 to a conditional GET
            if i % 2 == 0 and handler.headers.get("If-None-Match") == f'"v{i}"':
                return 304, {"ETag": f'"v{i}"'}, b""
            return html(f"page {i}", ETag=f'"v{i}"')
        return route

    for i in range(n):
        site.routes[f"/n{i}"] = page(i)
    return site


def test_max_pages_interrupt_resume_and_recrawl(tmp_path):  # noqa: ANN001
    config = write_config(tmp_path, delay=0.1, sitemaps=False)
    out = tmp_path / "out"
    n = 10
    with chain_site(n) as site:
        seeds = [site.base + "/"]
        first = crawl(seeds, out, config, "--max-pages", "3")
        assert first.returncode == 0, first.stderr
        pages = [p for p in site.paths() if p != "/robots.txt"]
        assert len(pages) == 3

        again = crawl(seeds, out, config)  # same folder without --resume: refused, nothing fetched
        assert again.returncode == 2 and "--resume" in again.stderr
        assert len([p for p in site.paths() if p != "/robots.txt"]) == 3

        proc = crawl(seeds, out, config, "--resume", wait=False)
        deadline = time.monotonic() + 20
        while len([p for p in site.paths() if p != "/robots.txt"]) < 5 and time.monotonic() < deadline:
            time.sleep(0.02)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
        assert proc.returncode == 1 and "--resume" in err
        interrupted = [p for p in site.paths() if p != "/robots.txt"]
        assert len(interrupted) < n + 1, "the interruption came too late to test anything"

        last = crawl(seeds, out, config, "--resume")
        assert last.returncode == 0, last.stderr
        pages = [p for p in site.paths() if p != "/robots.txt"]
        assert sorted(pages) == sorted(["/"] + [f"/n{i}" for i in range(n)]), "refetched or missed a page"

        before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (out / "warc").glob("*.warc.gz")}
        site.hits.clear()
        re = crawl([], out, config, "--recrawl")
        assert re.returncode == 0, re.stderr
        recrawled = [(p, h) for _, p, h in site.hits if p != "/robots.txt"]
    assert sorted(p for p, _ in recrawled) == sorted(["/"] + [f"/n{i}" for i in range(n)])  # no new links
    assert all(h.get("If-None-Match") == f'"v{p[2:]}"' for p, h in recrawled if p.startswith("/n"))
    after = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (out / "warc").glob("*.warc.gz")}
    assert all(after[p] == digest for p, digest in before.items())  # old WARCs kept as they were
    assert len(after) > len(before)
    log = read_log(out / "crawl-log.jsonl")
    assert sum(1 for e in log if e["status"] == 304) == n // 2


# -- units: scope, config, files, CLI -------------------------------------------------------------
def test_normalise_url():
    assert normalise_url("HTTP://Example.KZ:80/a?utm_source=x&b=1#frag", strip_params=["utm_*"]) == \
        "http://example.kz/a?b=1"
    assert normalise_url("https://мысал.қаз") == "https://xn--80awbu3c.xn--80ao21a/"
    assert normalise_url("http://127.0.0.1:8080/x y") == "http://127.0.0.1:8080/x%20y"
    assert normalise_url("mailto:a@b.kz") is None
    assert normalise_url("http://user:pw@gov.kz/") == "http://gov.kz/"


def test_scope_lists():
    scope = Scope([".kz", ".қаз", "127.0.0.1:8080"], ["spam.kz"])
    assert scope.reason("https://adilet.zan.kz/kaz") is None
    assert scope.reason("https://xn--80awbu3c.xn--80ao21a/") is None
    assert scope.reason("https://kz.example.com/") == "out_of_scope"
    assert scope.reason("https://a.spam.kz/") == "deny_listed"
    assert scope.reason("http://127.0.0.1:8080/") is None
    assert scope.reason("http://127.0.0.1:8081/") == "out_of_scope"
    assert scope.reason("ftp://gov.kz/") == "not_http"
    defaults = load_config()
    assert Scope(defaults.allow).reason("https://xn--80awbu3c.xn--80ao21a/") is None


def test_config_rejects_unknown_and_bad_keys(tmp_path):  # noqa: ANN001
    bad = tmp_path / "bad.yaml"
    bad.write_text("contact_url: x\ndelays: 2\n")
    with pytest.raises(ConfigError, match="delays"):
        load_config(bad)
    bad.write_text("delay: -1\n")
    with pytest.raises(ConfigError, match="delay"):
        load_config(bad)
    assert load_config(None, delay=3.0, allow=["gov.kz"]).delay == 3.0


def test_recover_open_files_cuts_torn_tail(tmp_path):  # noqa: ANN001
    from warcio.warcwriter import WARCWriter

    path = tmp_path / "x-20240101000000-00000.warc.gz.open"
    with open(path, "wb") as f:
        w = WARCWriter(f, gzip=True)
        w.write_record(w.create_warcinfo_record("x", {"software": "test"}))
        good = f.tell()
        w.write_record(w.create_warcinfo_record("x", {"software": "second"}))
    data = path.read_bytes()
    path.write_bytes(data[: good + (len(data) - good) // 2])  # a kill in the middle of a record
    [final] = recover_open_files(tmp_path)
    assert final.name == "x-20240101000000-00000.warc.gz" and final.stat().st_size == good
    with open(final, "rb") as f:
        assert [r.rec_type for r in ArchiveIterator(f)] == ["warcinfo"]


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="kazcorpus")
    add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["crawl", *argv])


def test_cli_usage_errors(tmp_path, capsys):  # noqa: ANN001
    out = str(tmp_path / "out")
    assert crawl_main(_args(str(tmp_path / "nope.txt"), "--output", out)) == 2
    assert "seeds file not found" in capsys.readouterr().err
    seeds = tmp_path / "seeds.txt"
    seeds.write_text("https://example.com/\n")
    assert crawl_main(_args(str(seeds), "--output", out)) == 2
    assert "allow-list" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text("contact_url: x\nmax_page: 3\n")
    assert crawl_main(_args(str(seeds), "--output", out, "--config", str(bad))) == 2
    assert "max_page" in capsys.readouterr().err
    assert not os.path.exists(out)


def test_cli_help_has_example():
    parser = argparse.ArgumentParser(prog="kazcorpus")
    sub = add_parser(parser.add_subparsers(dest="command"))
    text = sub.format_help()
    assert "example:" in text and "kazcorpus crawl seeds.txt --output" in text
    assert "--allow" in text and "--resume" in text


def test_kazcorpus_run_reads_the_crawl(main_crawl, tmp_path):  # noqa: ANN001
    """The issue's "done when": `kazcorpus run` turns the crawl's WARCs into documents with provenance."""
    import pyarrow.parquet as pq

    from kazcorpus.pipeline.cli import main as kazcorpus

    site, out, log, paths = main_crawl
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(
        f"inputs:\n  - {{path: '{out}/warc/*.warc.gz', source: test-crawl, kind: warc}}\n"
        f"output: '{tmp_path / 'run'}'\n"
        + "".join(f"{stage}: {{enabled: false}}\n" for stage in ("langid", "pii", "quality", "toxicity"))
        + "dedup: {exact: false, minhash: false}\n", encoding="utf-8")
    assert kazcorpus(["run", str(recipe)]) == 0
    rows = [r for sub in ("data", "rejected") for p in sorted((tmp_path / "run" / sub).glob("*.parquet"))
            for r in pq.read_table(p).to_pylist()]
    fetched = {e["url"]: e for e in log if e.get("warc", "").startswith("warc/")}
    assert {r["url"] for r in rows} == set(fetched)
    for row in rows:
        entry, prov = fetched[row["url"]], row["provenance"]
        assert (Path(prov["uri"]).name, prov["offset"]) == (Path(entry["warc"]).name, entry["offset"])
        assert prov["date"] == entry["time"][:19] + "Z"  # the fetch time, from WARC-Date
        assert prov["record_id"].startswith("<urn:uuid:")


def test_every_config_key_is_documented_and_used():
    import yaml

    from kazcorpus.sources.crawl.config import CrawlConfig, default_config_text

    fields = set(CrawlConfig.model_fields)
    assert set(yaml.safe_load(default_config_text())) == fields  # default.yaml documents every key
    here = Path(sys.modules[CrawlConfig.__module__].__file__).parent
    code = "".join(p.read_text() for p in here.glob("*.py") if p.name != "config.py")
    unused = sorted(f for f in fields if f".{f}" not in code and f"{f}=" not in code)
    assert not unused, f"config keys nothing reads: {unused}"
