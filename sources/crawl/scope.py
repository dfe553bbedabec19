"""What the crawler may fetch: URL normalisation and the domain allow/deny lists.

Every URL (seed, link, redirect target, sitemap entry) is normalised once, here, so the seen-URL
filter, the crawl log and the WARC headers all speak of the same string.  Domain entries are
compared in their IDNA (punycode) form, so `.қаз` in a config also matches `xn--80ao21a` hosts.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

DEFAULT_PORTS = {"http": 80, "https": 443}


def idna_host(host: str) -> str:
    """A host name lower-cased, without a trailing dot, in punycode (the form every comparison uses)."""
    host = host.strip().rstrip(".").lower()
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        # Labels the IDNA 2003 codec rejects (too long, odd code points) stay as given; they then
        # simply never match a host, which is the safe outcome for a scope check.
        return host


def normalise_url(url: str, *, strip_params: Iterable[str] = ()) -> str | None:
    """The canonical form of an http(s) URL, or None when it is not one we could fetch.

    Lower-case scheme and host, host in punycode, default port and user info dropped, fragment
    dropped, empty path made "/", unsafe characters percent-encoded, and query parameters whose
    names match `strip_params` (shell patterns such as "utm_*") removed.  Query order is kept:
    some sites care, and the seen-URL filter compares canonicalised (sorted) forms anyway.
    """
    from w3lib.url import safe_url_string

    try:
        parts = urlsplit(safe_url_string(url.strip()))
        scheme = parts.scheme.lower()
        host = parts.hostname
        port = parts.port
    except ValueError:
        return None
    if scheme not in DEFAULT_PORTS or not host:
        return None
    host = idna_host(host)
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    patterns = list(strip_params)
    query = "&".join(
        pair for pair in parts.query.split("&")
        if pair and not any(fnmatch.fnmatchcase(pair.split("=", 1)[0], p) for p in patterns)
    )
    return urlunsplit((scheme, netloc, parts.path or "/", query, ""))


def _entry(domain: str) -> tuple[str, int | None]:
    """A config entry as (punycode host suffix, port or None)."""
    text = domain.strip().lstrip("*").lstrip(".")
    port: int | None = None
    host, sep, tail = text.rpartition(":")
    if sep and tail.isdigit() and host and not host.endswith(":"):
        text, port = host, int(tail)
    return idna_host(text), port


class Scope:
    """Allow/deny domain lists; `reason(url)` is None when the URL is in scope."""

    def __init__(self, allow: Iterable[str], deny: Iterable[str] = ()):
        self.allow = [_entry(d) for d in allow]
        self.deny = [_entry(d) for d in deny]

    @staticmethod
    def _matches(host: str, port: int, entries: list[tuple[str, int | None]]) -> bool:
        return any(
            (host == suffix or host.endswith("." + suffix)) and (want is None or want == port)
            for suffix, want in entries
        )

    def reason(self, url: str) -> str | None:
        try:
            parts = urlsplit(url)
            host = idna_host(parts.hostname or "")
            port = parts.port or DEFAULT_PORTS.get(parts.scheme, 0)
        except ValueError:
            return "bad_url"
        if parts.scheme not in DEFAULT_PORTS or not host:
            return "not_http"
        if self._matches(host, port, self.deny):
            return "deny_listed"
        if not self._matches(host, port, self.allow):
            return "out_of_scope"
        return None
