"""The service's settings, read once from the environment, in small groups with their own checks.

Every variable carries the ``GRID_`` prefix except ``DATABASE_URL``, which keeps the name
every PostgreSQL tool understands. A group reads its own variables (``GRID_WARNING_*``
for ``warnings``, ...); the README's table lists them all.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal, Self
from urllib.parse import urlsplit

from pydantic import AliasChoices, BaseModel, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MIN_JWT_SECRET_BYTES = 32

CommaList = Annotated[list[str], NoDecode]   # "a, b,c" in the environment


def _comma_list(value: str | list[str]) -> list[str]:
    items = value.split(",") if isinstance(value, str) else value
    return [item.strip() for item in items if item.strip()]


def _group(prefix: str = "GRID_") -> SettingsConfigDict:
    return SettingsConfigDict(env_prefix=prefix, extra="ignore", populate_by_name=True)


class Database(BaseSettings):
    """Where the data lives: an existing database, or the project-local cluster."""

    model_config = _group()

    url: str | None = Field(None, validation_alias=AliasChoices("DATABASE_URL", "GRID_DATABASE_URL"),
                            description="An existing PostGIS database; unset means the project-local cluster.")
    name: str = Field("haikou", validation_alias="GRID_DB_NAME", description="Database name in the local cluster.")
    pg_port: int = Field(54329, description="Port of the project-local cluster (loopback only).")
    pg_data: Path = Field(PROJECT_ROOT / ".pgdata", description="Data folder of the local cluster.")
    statement_timeout_ms: int = Field(30_000, ge=0, description="Longest SQL statement of an API request (0: none).")
    publish_timeout_ms: int = Field(600_000, ge=0, description="Longest SQL statement while publishing boundaries.")

    @property
    def sqlalchemy_url(self) -> str:
        """The URL SQLAlchemy connects with (psycopg 3 driver)."""
        if self.url:
            return driver_url(self.url)
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.pg_port}/{self.name}"

    @property
    def libpq_url(self) -> str:
        """The same database as a plain libpq URL (psycopg, pg_dump, psql)."""
        return self.sqlalchemy_url.replace("postgresql+psycopg://", "postgresql://")

    @property
    def uses_local_cluster(self) -> bool:
        return not self.url


class Replicas(BaseSettings):
    """Streaming replicas for reads that may be a little stale."""

    model_config = _group("GRID_REPLICA_")

    urls: CommaList = Field([], description="Comma-separated URLs of streaming replicas for stale-tolerant reads.")
    port: int = Field(54339, description="Port of the local streaming replica (`gridctl db replica up`).")
    max_lag_seconds: float = Field(5.0, ge=0, description="A replica further behind leaves the rotation.")
    check_seconds: float = Field(2.0, gt=0, description="How often each replica's health and lag are checked.")

    @field_validator("urls", mode="before")
    @classmethod
    def _split(cls, urls: str | list[str]) -> list[str]:
        return _comma_list(urls)

    @property
    def sqlalchemy_urls(self) -> list[str]:
        """The replicas' SQLAlchemy URLs (psycopg 3 driver)."""
        return [driver_url(u) for u in self.urls]


class Dataset(BaseSettings):
    """The Haikou dataset: its inputs, how it is built, and the grid-size rule."""

    model_config = _group()

    data_dir: Path = Field(PROJECT_ROOT / "data" / "haikou", description="Real inputs and generation settings.")
    build_dir: Path = Field(PROJECT_ROOT / "build" / "haikou", description="Where `data build` writes the dataset.")
    policy_file: Path = Field(PROJECT_ROOT / "data" / "mediation_policy.toml",
                              description="The escalation rules of mediation.")
    seed: int = Field(20190101, description="Seed of the generated parts of the dataset.")
    h3_resolution: int = Field(11, ge=10, le=11, description="H3 resolution of the cell index.")
    households_per_grid_min: int = Field(300, ge=0, description="Default lower bound of households per grid.")
    households_per_grid_max: int = Field(500, ge=1, description="Default upper bound of households per grid.")

    @model_validator(mode="after")
    def _range(self) -> Self:
        if self.households_per_grid_min > self.households_per_grid_max:
            raise ValueError("GRID_HOUSEHOLDS_PER_GRID_MIN must not exceed GRID_HOUSEHOLDS_PER_GRID_MAX")
        return self


class Planning(BaseSettings):
    """How a boundary change takes effect."""

    model_config = _group()

    publish_review: Literal["required", "optional"] = Field(
        "required", description="required: a draft is published only after another planner (not its author or an "
                                "editor) or an admin approved it; optional: a draft may be published without review.")


class Caches(BaseSettings):
    """Memory the API keeps answers in, and how often it looks for new boundaries."""

    model_config = _group()

    locate_recheck_seconds: float = Field(1.0, ge=0, description="How often locate checks for new boundaries.")
    tile_cache_bytes: int = Field(64 * 1024 * 1024, ge=0, description="Bytes of tiles kept in memory.")
    locate_past_bytes: int = Field(256 * 1024 * 1024, ge=0,
                                   description="Memory for locate indexes of past generations (`?generation=`).")
    report_cache_bytes: int = Field(64 * 1024 * 1024, ge=0, description="Bytes of rendered reports kept in memory.")


class Limits(BaseSettings):
    """Bounds on what one client can make the service do."""

    model_config = _group()

    max_body_bytes: int = Field(64 * 1024 * 1024, ge=1024, description="Largest request body the API reads (uploads).")
    max_json_bytes: int = Field(16 * 1024 * 1024, ge=1024, description="Largest JSON request body the API reads.")
    rate_limit_per_minute: int = Field(1200, ge=1, description="Requests a minute per key or token subject.")
    report_renders: int = Field(1, ge=1, description="Reports (HTML, PDF) the API renders at once; 503 beyond.")
    event_streams: int = Field(200, ge=1, description="Event streams (GET /events) one API process keeps open; 503 beyond.")
    event_stream_seconds: int = Field(600, ge=1, description="How long an event stream stays open before the server "
                                      "ends it (a browser reconnects and resumes with Last-Event-ID).")

    @model_validator(mode="after")
    def _json_within_body(self) -> Self:
        if self.max_json_bytes > self.max_body_bytes:
            raise ValueError("GRID_MAX_JSON_BYTES must not exceed GRID_MAX_BODY_BYTES")
        return self


class Auth(BaseSettings):
    """Bearer tokens and page sessions (API keys live in the database)."""

    model_config = _group()

    jwt_secret: str | None = Field(None, description="Secret of HS256 bearer tokens (32 bytes or more); unset: keys only.")
    jwt_max_minutes: int = Field(1440, ge=1, description="Longest lifetime of a bearer token, minutes.")
    jwt_audience: str | None = Field(None, description="When set, a token's `aud` must name it.")
    jwt_issuer: str | None = Field(None, description="When set, a token's `iss` must be it.")
    session_hours: float = Field(12.0, gt=0, le=720, description="Lifetime of a page session (cookie) made from a key.")

    @field_validator("jwt_secret")
    @classmethod
    def _long_secret(cls, secret: str | None) -> str | None:
        if secret is not None and len(secret.encode()) < MIN_JWT_SECRET_BYTES:
            raise ValueError(f"GRID_JWT_SECRET must be at least {MIN_JWT_SECRET_BYTES} bytes (a random string such as "
                             "`openssl rand -base64 48`); the service does not start with a shorter one")
        return secret


class Web(BaseSettings):
    """Where the API listens, the address it is known by, and whom it believes."""

    model_config = _group()

    host: str = Field("127.0.0.1", description="Address the API listens on.")
    port: int = Field(8000, description="Port the API listens on.")
    public_url: str = Field("", description="The service's public base URL; default the served address.")
    trusted_hosts: CommaList = Field([], description="Host names answered; default the public URL's, 127.0.0.1 "
                                                     "and localhost.")
    trusted_proxies: CommaList = Field([], description="Proxy addresses whose X-Forwarded-* are believed.")
    tianditu_key: str | None = Field(None, description="Key for the Tianditu basemap (optional).")

    @field_validator("trusted_hosts", "trusted_proxies", mode="before")
    @classmethod
    def _split(cls, value: str | list[str]) -> list[str]:
        return _comma_list(value)

    @model_validator(mode="after")
    def _defaults(self) -> Self:
        """Links, TileJSON and styles are built from the public URL (ending in /), never from a request's Host."""
        url = self.public_url or f"http://{self.host}:{self.port}/"
        self.public_url = url if url.endswith("/") else url + "/"
        self.trusted_hosts = [h.lower() for h in self.trusted_hosts] or sorted(
            {urlsplit(self.public_url).hostname or "127.0.0.1", "127.0.0.1", "localhost"})
        return self


class Warnings(BaseSettings):
    """Hotspot detection (early warning)."""

    model_config = _group("GRID_WARNING_")

    resolution: int = Field(8, ge=5, le=10, description="H3 resolution of hotspot cells (8: about 0.7 km²).")
    ring: int = Field(1, ge=0, le=3, description="Neighbour rings pooled with each hotspot cell.")
    window_days: int = Field(28, ge=1, le=366, description="Recent window of hotspot detection, days.")
    baseline_days: int = Field(364, ge=7, le=1830, description="Baseline before the recent window, days.")
    fdr: float = Field(0.05, gt=0, le=0.5, description="Expected share of false hotspot alerts (BH).")
    min_count: int = Field(3, ge=1, description="Fewest recent cases of a hotspot.")
    min_ratio: float = Field(1.5, ge=1, description="Least ratio of recent to expected cases of a hotspot.")

    @model_validator(mode="after")
    def _baseline_longer(self) -> Self:
        if self.baseline_days < self.window_days:
            raise ValueError("GRID_WARNING_BASELINE_DAYS must be at least GRID_WARNING_WINDOW_DAYS")
        return self


class Repeats(BaseSettings):
    """Repeat disputes: cases of one category at one place."""

    model_config = _group("GRID_REPEAT_")

    window_days: int = Field(90, ge=1, le=366, description="Window in which repeat disputes are counted, days.")
    radius_m: float = Field(50.0, gt=0, le=1000, description="Distance within which disputes are the same place.")
    min_count: int = Field(3, ge=2, description="Cases of one category at one place that make a repeat.")


class WebhookSettings(BaseSettings):
    """Sending webhook deliveries (geo.webhooks.courier)."""

    model_config = _group("GRID_WEBHOOK_")

    deliver: bool = Field(True, description="Each API process sends the outbox's deliveries (one courier thread).")
    timeout_seconds: float = Field(5.0, gt=0, le=60, description="How long a receiver has to answer a delivery.")
    retry_seconds: float = Field(1.0, gt=0, description="The first wait before a failed delivery is tried again "
                                                         "(doubling each time).")
    max_retry_seconds: float = Field(600.0, gt=0, description="The longest wait between two tries of a delivery.")
    poll_seconds: float = Field(1.0, gt=0, description="How often an idle courier looks at the outbox.")


class Settings(BaseModel):
    """Service configuration: one group per concern."""

    db: Database = Field(default_factory=Database)
    replicas: Replicas = Field(default_factory=Replicas)
    dataset: Dataset = Field(default_factory=Dataset)
    planning: Planning = Field(default_factory=Planning)
    caches: Caches = Field(default_factory=Caches)
    limits: Limits = Field(default_factory=Limits)
    auth: Auth = Field(default_factory=Auth)
    web: Web = Field(default_factory=Web)
    warnings: Warnings = Field(default_factory=Warnings)
    repeats: Repeats = Field(default_factory=Repeats)
    webhooks: WebhookSettings = Field(default_factory=WebhookSettings)


def driver_url(url: str) -> str:
    """A libpq URL as SQLAlchemy's psycopg 3 URL."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (environment read once)."""
    return Settings()
