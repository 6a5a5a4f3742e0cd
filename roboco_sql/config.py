"""Settings from ROBOCO_* environment variables, with RoboCo's own names and defaults."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

from psycopg.conninfo import conninfo_to_dict, make_conninfo

from roboco_sql.errors import ConfigError
from roboco_sql.redact import MASK, check_url, redact

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _int(
    env: Mapping[str, str], name: str, default: int, minimum: int = 0, maximum: int = 2**31 - 1
) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if not minimum <= value <= maximum:
        raise ConfigError(f"{name} must be between {minimum} and {maximum}, got {value}")
    return value


def _seconds(env: Mapping[str, str], name: str, default: float, *, zero_ok: bool) -> float:
    """A finite number of seconds (nan and inf refused: a bound must bound something)."""
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, got {raw!r}") from None
    if not math.isfinite(value):
        raise ConfigError(f"{name} must be a finite number of seconds, got {raw!r}")
    if value < 0 or (value == 0 and not zero_ok):
        least = "0 or more" if zero_ok else "positive"
        raise ConfigError(f"{name} must be {least}, got {raw}")
    return value


def default_data_dir() -> Path:
    """The embedded server's data directory when ROBOCO_DATA_DIR is unset: the user's data
    directory (~/.local/share/roboco_sql/postgres on Linux), the same from any working
    directory, so a command run elsewhere reuses the one server instead of starting another."""
    import platformdirs

    return Path(platformdirs.user_data_dir("roboco_sql", appauthor=False)) / "postgres"


def _data_dir(env: Mapping[str, str]) -> Path | None:
    """ROBOCO_DATA_DIR made absolute now (a relative one means the directory it was set in),
    else None (the per-user default)."""
    raw = env.get("ROBOCO_DATA_DIR", "")
    if not raw.strip():
        return None
    if "\x00" in raw:
        raise ConfigError("ROBOCO_DATA_DIR must not contain a NUL character")
    return Path(raw).expanduser().resolve()


# what begins a server's entry: a URL's scheme, or a key=value conninfo string
_ENTRY_START = re.compile(r"\s*(?:[A-Za-z][A-Za-z0-9+.-]*://|[A-Za-z_]\w*\s*=)")


def split_urls(raw: str) -> tuple[str, ...]:
    """ROBOCO_DATABASE_REPLICA_URLS as a tuple, one entry per server: split at the commas
    that begin a URL or a key=value string, so a multi-host URL keeps its own; no blanks."""
    entries: list[str] = []
    for piece in raw.split(","):
        if entries and not _ENTRY_START.match(piece) and piece.strip():
            entries[-1] += "," + piece
        else:
            entries.append(piece)
    return tuple(e.strip() for e in entries if e.strip())


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    if raw.strip().lower() in _TRUE:
        return True
    if raw.strip().lower() in _FALSE:
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


_SECRET_FIELDS = frozenset({"password", "encryption_key"})


@dataclass(frozen=True)
class Settings:
    """Everything roboco_sql reads from the environment, read once."""

    database_url: str | None = None
    host: str | None = None
    port: int = 5432
    user: str = "roboco"
    password: str = "roboco"
    name: str = "roboco"
    migration_database_url: str | None = None
    pool_min_size: int = 1
    pool_max_size: int = 10
    pool_timeout: float = 10.0
    prepared_statements: bool = True
    encryption_key: str = ""
    embedding_dimensions: int = 1024
    # the embedded server's data directory, ROBOCO_DATA_DIR; None: one per user whatever the
    # working directory (embedded_dir), looked up only when the embedded server is wanted
    data_dir: Path | None = None
    # the revision init_db and migrate stop at (None: head), e.g. to keep RoboCo's messaging
    # tables, which 060_drop_messaging removes
    target_revision: str | None = None
    # our additions to keep applied (migrate/additions.py): names, "default", "none"
    additions: str = "default"
    # hot standbys for read-only work (roboco_sql/replicas/); empty: every read goes to the primary
    replica_urls: tuple[str, ...] = ()
    # a replica replaying more than this many seconds behind is skipped until it catches up
    replica_max_lag: float = 5.0
    # how long a read-your-writes read waits for a replica to replay the commit (0: no wait)
    replica_wait: float = 0.5

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        settings = cls(
            database_url=env.get("ROBOCO_DATABASE_URL") or None,
            host=env.get("ROBOCO_DATABASE_HOST") or None,
            port=_int(env, "ROBOCO_DATABASE_PORT", 5432, minimum=1, maximum=65535),
            user=env.get("ROBOCO_DATABASE_USER", "roboco"),
            password=env.get("ROBOCO_DATABASE_PASSWORD", "roboco"),
            name=env.get("ROBOCO_DATABASE_NAME", "roboco"),
            migration_database_url=env.get("ROBOCO_MIGRATION_DATABASE_URL") or None,
            pool_min_size=_int(env, "ROBOCO_DATABASE_POOL_MIN_SIZE", 1),
            pool_max_size=_int(env, "ROBOCO_DATABASE_POOL_MAX_SIZE", 10, minimum=1),
            pool_timeout=_seconds(env, "ROBOCO_DATABASE_POOL_TIMEOUT", 10.0, zero_ok=False),
            prepared_statements=_bool(env, "ROBOCO_DATABASE_PREPARED_STATEMENTS", True),
            encryption_key=env.get("ROBOCO_ENCRYPTION_KEY", ""),
            embedding_dimensions=_int(
                env, "ROBOCO_EMBEDDING_DIMENSIONS", 1024, minimum=1, maximum=16000
            ),
            data_dir=_data_dir(env),
            target_revision=env.get("ROBOCO_DATABASE_TARGET_REVISION", "").strip() or None,
            additions=env.get("ROBOCO_DATABASE_ADDITIONS", "default"),
            replica_urls=split_urls(env.get("ROBOCO_DATABASE_REPLICA_URLS", "")),
            replica_max_lag=_seconds(env, "ROBOCO_DATABASE_REPLICA_MAX_LAG", 5.0, zero_ok=False),
            replica_wait=_seconds(env, "ROBOCO_DATABASE_REPLICA_WAIT", 0.5, zero_ok=True),
        )
        if settings.pool_min_size > settings.pool_max_size:
            raise ConfigError(
                "ROBOCO_DATABASE_POOL_MIN_SIZE must not exceed ROBOCO_DATABASE_POOL_MAX_SIZE"
            )
        if settings.database_url is not None:
            _check_url("ROBOCO_DATABASE_URL", settings.database_url)
        if settings.migration_database_url is not None:
            _check_url("ROBOCO_MIGRATION_DATABASE_URL", settings.migration_database_url)
        for number, replica in enumerate(settings.replica_urls, 1):
            _check_url(f"ROBOCO_DATABASE_REPLICA_URLS (entry {number})", replica)
        return settings

    def __repr__(self) -> str:
        """Every field, with passwords and keys masked (a repr ends up in logs and tracebacks)."""
        shown = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in _SECRET_FIELDS:
                value = MASK if value else value
            elif isinstance(value, str):
                value = redact(value, value)
            elif isinstance(value, tuple):
                value = tuple(redact(v, v) for v in value)
            shown.append(f"{f.name}={value!r}")
        return f"Settings({', '.join(shown)})"

    @property
    def embedded_dir(self) -> Path:
        """The embedded server's data directory: ROBOCO_DATA_DIR, else the per-user one."""
        return self.data_dir or default_data_dir()

    @property
    def uses_embedded(self) -> bool:
        """No server configured: commands fall back to the embedded PostgreSQL."""
        return self.database_url is None and self.host is None

    def configured_url(self) -> str | None:
        """The conninfo of the configured server, or None when the embedded one applies."""
        if self.database_url is not None:
            return normalize_url(self.database_url)
        if self.host is not None:
            return make_conninfo(
                host=self.host,
                port=self.port,
                user=self.user,
                password=self.password,
                dbname=self.name,
            )
        return None


def normalize_url(url: str) -> str:
    """Accept SQLAlchemy-style URLs (postgresql+asyncpg://) as RoboCo writes them."""
    scheme, sep, rest = url.partition("://")
    if sep and "+" in scheme:
        return f"{scheme.split('+', 1)[0]}://{rest}"
    return url


def _check_url(name: str, url: str) -> None:
    check_url(name, normalize_url(url))


def describe(conninfo: str) -> str:
    """host:port/dbname of a conninfo, for messages that must never show the password."""
    try:
        params = conninfo_to_dict(conninfo)
    except Exception:
        return "<unparsable connection string>"
    host = str(params.get("host") or "localhost")
    port = str(params.get("port") or "5432")
    db = str(params.get("dbname") or params.get("user") or "")
    # an unescaped @ or / in a password lands in the host or the database name: mask it there
    if host.startswith("/"):
        return redact(f"socket {host} port {port}, database {db}", conninfo)
    return redact(f"{host}:{port}, database {db}", conninfo)
