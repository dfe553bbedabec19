"""The crawl configuration: one typed model, validated before any request is sent.

`default.yaml` next to this module holds the defaults a user copies and edits; `load_config` merges
a user file over it, so a config only needs the keys it changes.  Unknown keys are errors
(`extra="forbid"`), and `ConfigError` names the bad key so the CLI can exit 2 with it.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

DEFAULT_CONFIG = "default.yaml"


class ConfigError(ValueError):
    """A bad crawl config or command-line value; the message names the key."""


class CrawlConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Who we are: site owners read this in their logs and must be able to reach us.
    user_agent: str = Field("kazcorpus-bot/0.1", min_length=1)
    robots_agent: str = Field("kazcorpus-bot", min_length=1)  # the token matched against robots.txt groups
    contact_url: str = Field(..., min_length=1)
    # Many Kazakh sites pick the page language from this header; ask for Kazakh first.
    accept_language: str = "kk, ru;q=0.8, en;q=0.5"

    # Scope.  Entries match a host and its subdomains (".kz" matches "gov.kz" and "adilet.zan.kz");
    # an entry with a port ("127.0.0.1:8080") matches that host and port only.
    allow: list[str] = Field(default_factory=lambda: [".kz", ".қаз"], min_length=1)
    deny: list[str] = Field(default_factory=list)
    max_pages: int | None = Field(None, ge=1)  # page fetches in the whole crawl, across resumes
    max_depth: int = Field(5, ge=0)  # link hops from a seed; sitemap entries are one hop
    content_types: list[str] = Field(
        default_factory=lambda: ["text/html", "application/xhtml+xml", "text/plain"], min_length=1
    )
    max_page_bytes: int = Field(5_000_000, ge=1024)  # bodies are cut here and marked WARC-Truncated
    max_decompressed_bytes: int = Field(50_000_000, ge=1024)  # guards against compression bombs
    max_discovery_bytes: int = Field(10_000_000, ge=1024)  # robots.txt and sitemaps
    strip_query_params: list[str] = Field(
        default_factory=lambda: ["utm_*", "fbclid", "gclid", "yclid", "_openstat"]
    )
    follow_nofollow: bool = False
    sitemaps: bool = True

    # Politeness.
    obey_robots: bool = True
    # RFC 9309: a robots.txt that answers 5xx or cannot be reached means "disallow everything".
    robots_unavailable: Literal["disallow", "allow"] = "disallow"
    delay: float = Field(1.0, ge=0)  # seconds between two requests to one host, at least
    max_crawl_delay: float = Field(30.0, ge=0)  # a robots.txt Crawl-delay above this is capped
    max_delay: float = Field(60.0, ge=0)  # ceiling for AutoThrottle and for 429/503 backoff
    per_host_concurrency: int = Field(1, ge=1)
    concurrent_requests: int = Field(16, ge=1)  # across all hosts
    autothrottle_target_concurrency: float = Field(1.0, gt=0)
    timeout: float = Field(30.0, gt=0)
    retries: int = Field(2, ge=0)
    retry_http_codes: list[int] = Field(default_factory=lambda: [408, 429, 500, 502, 503, 504, 522, 524])
    max_redirects: int = Field(5, ge=0)

    # Output.
    warc_max_bytes: int = Field(1_000_000_000, ge=1024)  # a WARC file is closed once it passes this
    warc_prefix: str = Field("kazcorpus", pattern=r"^[A-Za-z0-9_.-]+$")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "WARNING"

    @field_validator("allow", "deny")
    @classmethod
    def _no_empty_domains(cls, value: list[str]) -> list[str]:
        bad = [d for d in value if not d.strip(" .*")]
        if bad:
            raise ValueError(f"empty domain entry {bad[0]!r}")
        return value

    @field_validator("content_types")
    @classmethod
    def _lowercase_types(cls, value: list[str]) -> list[str]:
        return [v.strip().lower() for v in value]

    @property
    def full_user_agent(self) -> str:
        return f"{self.user_agent} (+{self.contact_url})"


def default_config_text() -> str:
    return resources.files("kazcorpus.sources.crawl").joinpath(DEFAULT_CONFIG).read_text(encoding="utf-8")


def load_config(path: str | Path | None = None, **overrides: Any) -> CrawlConfig:
    """The defaults, then the user's file over them, then command-line `overrides` (None = unset)."""
    data: dict[str, Any] = yaml.safe_load(default_config_text()) or {}
    if path is not None:
        try:
            user = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(f"config file not found: {path}") from exc
        except yaml.YAMLError as exc:
            raise ConfigError(f"config {path} is not valid YAML: {exc}") from exc
        if user is None:
            user = {}
        if not isinstance(user, dict):
            raise ConfigError(f"config {path} must be a mapping of keys to values, found {type(user).__name__}")
        data.update(user)
    data.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return CrawlConfig(**data)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"]) or "config"
        raise ConfigError(f"crawl config key {key!r}: {err['msg']} (got {err.get('input')!r})") from exc
