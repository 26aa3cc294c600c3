"""One settings object for the whole service, read once from the environment.

Every variable carries the ``GRID_`` prefix except ``DATABASE_URL``, which keeps
the name every PostgreSQL tool understands.
"""
from __future__ import annotations

from functools import cached_property, lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MIN_JWT_SECRET_BYTES = 32


class Settings(BaseSettings):
    """Service configuration; see the README's table for each variable."""

    model_config = SettingsConfigDict(env_prefix="GRID_", extra="ignore")

    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_URL", "GRID_DATABASE_URL"),
        description="An existing PostGIS database; unset means the project-local cluster.",
    )
    db_name: str = Field("haikou", description="Database name in the project-local cluster.")
    pg_port: int = Field(54329, description="Port of the project-local cluster (loopback only).")
    replica_port: int = Field(54339, description="Port of the local streaming replica (`gridctl db replica up`).")
    pg_data: Path = Field(PROJECT_ROOT / ".pgdata", description="Data folder of the local cluster.")
    data_dir: Path = Field(PROJECT_ROOT / "data" / "haikou", description="Real inputs and generation settings.")
    build_dir: Path = Field(PROJECT_ROOT / "build" / "haikou", description="Where `data build` writes the dataset.")
    policy_file: Path = Field(PROJECT_ROOT / "data" / "mediation_policy.toml",
                              description="The escalation rules of mediation.")
    seed: int = Field(20190101, description="Seed of the generated parts of the dataset.")
    h3_resolution: int = Field(11, ge=10, le=11, description="H3 resolution of the cell index.")
    locate_recheck_seconds: float = Field(1.0, ge=0, description="How often locate checks for new boundaries.")
    tile_cache_bytes: int = Field(64 * 1024 * 1024, ge=0, description="Bytes of tiles kept in memory.")
    locate_past_bytes: int = Field(256 * 1024 * 1024, ge=0,
                                   description="Memory for locate indexes of past generations (`?generation=`).")
    report_cache_bytes: int = Field(64 * 1024 * 1024, ge=0, description="Bytes of rendered reports kept in memory.")
    report_renders: int = Field(1, ge=1, description="Reports (HTML, PDF) the API renders at once; 503 beyond.")
    statement_timeout_ms: int = Field(30_000, ge=0, description="Longest SQL statement of an API request (0: none).")
    publish_timeout_ms: int = Field(600_000, ge=0, description="Longest SQL statement while publishing boundaries.")
    max_body_bytes: int = Field(64 * 1024 * 1024, ge=1024, description="Largest request body the API reads (uploads).")
    max_json_bytes: int = Field(16 * 1024 * 1024, ge=1024, description="Largest JSON request body the API reads.")
    jwt_secret: str | None = Field(None, description="Secret of HS256 bearer tokens (32 bytes or more); unset: keys only.")
    jwt_max_minutes: int = Field(1440, ge=1, description="Longest lifetime of a bearer token, minutes.")
    jwt_audience: str | None = Field(None, description="When set, a token's `aud` must name it.")
    jwt_issuer: str | None = Field(None, description="When set, a token's `iss` must be it.")
    session_hours: float = Field(12.0, gt=0, le=720, description="Lifetime of a page session (cookie) made from a key.")
    public_url_raw: str | None = Field(None, validation_alias=AliasChoices("GRID_PUBLIC_URL"),
                                       description="The service's public base URL; default the served address.")
    trusted_hosts_raw: str = Field("", validation_alias=AliasChoices("GRID_TRUSTED_HOSTS"),
                                   description="Comma-separated Host names answered; default the public URL's, "
                                               "127.0.0.1 and localhost.")
    trusted_proxies: str = Field("", description="Comma-separated proxy addresses whose X-Forwarded-* are believed.")
    rate_limit_per_minute: int = Field(1200, ge=1, description="Requests a minute per key or token subject.")
    households_per_grid_min: int = Field(300, ge=0, description="Default lower bound of households per grid.")
    households_per_grid_max: int = Field(500, ge=1, description="Default upper bound of households per grid.")
    warning_resolution: int = Field(8, ge=5, le=10, description="H3 resolution of hotspot cells (8: about 0.7 km²).")
    warning_ring: int = Field(1, ge=0, le=3, description="Neighbour rings pooled with each hotspot cell.")
    warning_window_days: int = Field(28, ge=1, le=366, description="Recent window of hotspot detection, days.")
    warning_baseline_days: int = Field(364, ge=7, le=1830, description="Baseline before the recent window, days.")
    warning_fdr: float = Field(0.05, gt=0, le=0.5, description="Expected share of false hotspot alerts (BH).")
    warning_min_count: int = Field(3, ge=1, description="Fewest recent cases of a hotspot.")
    warning_min_ratio: float = Field(1.5, ge=1, description="Least ratio of recent to expected cases of a hotspot.")
    repeat_window_days: int = Field(90, ge=1, le=366, description="Window in which repeat disputes are counted, days.")
    repeat_radius_m: float = Field(50.0, gt=0, le=1000, description="Distance within which disputes are the same place.")
    repeat_min_count: int = Field(3, ge=2, description="Cases of one category at one place that make a repeat.")
    replica_urls_raw: str = Field("", validation_alias=AliasChoices("GRID_REPLICA_URLS"),
                                  description="Comma-separated URLs of streaming replicas for stale-tolerant reads.")
    replica_max_lag_seconds: float = Field(5.0, ge=0, description="A replica further behind leaves the rotation.")
    replica_check_seconds: float = Field(2.0, gt=0, description="How often each replica's health and lag are checked.")
    tianditu_key: str | None = Field(None, description="Key for the Tianditu basemap (optional).")
    host: str = "127.0.0.1"
    port: int = 8000

    @field_validator("jwt_secret")
    @classmethod
    def _long_secret(cls, secret: str | None) -> str | None:
        if secret is not None and len(secret.encode()) < MIN_JWT_SECRET_BYTES:
            raise ValueError(f"GRID_JWT_SECRET must be at least {MIN_JWT_SECRET_BYTES} bytes (a random string such as "
                             "`openssl rand -base64 48`); the service does not start with a shorter one")
        return secret

    @property
    def public_url(self) -> str:
        """The base URL (ending in /) that links, TileJSON and styles are built from, never the request's Host."""
        url = self.public_url_raw or f"http://{self.host}:{self.port}/"
        return url if url.endswith("/") else url + "/"

    @cached_property
    def trusted_hosts(self) -> list[str]:   # read on every request: made once
        listed = [h.strip() for h in self.trusted_hosts_raw.split(",") if h.strip()]
        return listed or sorted({urlsplit(self.public_url).hostname or "127.0.0.1", "127.0.0.1", "localhost"})

    @property
    def sqlalchemy_url(self) -> str:
        """The URL SQLAlchemy connects with (psycopg 3 driver)."""
        if self.database_url:
            return _driver_url(self.database_url)
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.pg_port}/{self.db_name}"

    @property
    def libpq_url(self) -> str:
        """The same database as a plain libpq URL (psycopg, pg_dump, psql)."""
        return self.sqlalchemy_url.replace("postgresql+psycopg://", "postgresql://")

    @property
    def replica_urls(self) -> list[str]:
        """The replicas' SQLAlchemy URLs (psycopg 3 driver)."""
        return [_driver_url(u.strip()) for u in self.replica_urls_raw.split(",") if u.strip()]

    @property
    def uses_local_cluster(self) -> bool:
        return not self.database_url


def _driver_url(url: str) -> str:
    """A libpq URL as SQLAlchemy's psycopg 3 URL."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (environment read once)."""
    return Settings()
