"""Redaction: the one place that keeps database passwords out of messages, reprs and logs.

Malformed URLs are where passwords leak: libpq quotes the whole URL in its parse errors, and
an unescaped ``@`` or ``/`` in a password moves part of it into the host or the database name.
So a password is looked for three ways: the parsed ``password`` field, the raw text between a
URL's ``user:`` and its last ``@`` (with its %-decoded form and its longer fragments), and
``password=`` in key=value strings and URL queries. Every error text that may hold a URL
passes through ``redact``; the pool's and psycopg's loggers get a filter doing the same.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote

from psycopg.conninfo import conninfo_to_dict

from roboco_sql.errors import ConfigError

__all__ = ["MASK", "RedactingFilter", "check_url", "install_log_filter", "redact", "url_secrets"]

MASK = "***"
# scheme://user:<password>@ ... (greedy to the last @ of the token, as a careless URL needs)
_URL_USERINFO = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://[^:/@\s\"']*):[^\s\"']*@")
# password=value in a conninfo string (quoted or not) or a URL query
_KV_PASSWORD = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s'\"&]+)", re.IGNORECASE)
_PIECES = re.compile(r"[@:/?#%\s]+")
_MIN_PIECE = 4  # shorter fragments are too common to mask without mangling the message

_known: set[str] = set()
"""Secrets of every URL this process was given, for the log filter."""


def url_secrets(url: str) -> frozenset[str]:
    """Every string in `url` that is, or is a telling part of, its password."""
    found: set[str] = set()
    named: set[str] = set()
    try:
        params = conninfo_to_dict(url)
    except Exception:
        params = {}
    else:
        if params.get("password"):
            found.add(str(params["password"]))
        named = {str(params[k]) for k in ("user", "dbname") if params.get(k)}
    _scheme, sep, rest = url.partition("://")
    if sep and "@" in rest:
        userinfo = rest.rpartition("@")[0]
        _user, colon, raw = userinfo.partition(":")
        if colon and raw:
            found |= {raw, unquote(raw)}
            # an unescaped @ or / moves a fragment into the host or database name: mask
            # every fragment then, however short
            least = 2 if re.search(r"[@/]", raw) else _MIN_PIECE
            found |= {p for p in _PIECES.split(raw) if len(p) >= least}
    for match in _KV_PASSWORD.finditer(url):
        value = match.group(2)
        found.add(value)
        if value.startswith("'"):
            found.add(re.sub(r"\\(.)", r"\1", value[1:-1]))
        found.add(unquote(value))
    # the default roboco/roboco/roboco: a password equal to the user or the database name is
    # shown as that name anyway; masking it would mask the name everywhere
    return frozenset(s for s in found if s and s not in named)


def redact(text: str, *urls: str) -> str:
    """`text` with the passwords of `urls` (and of any URL or conninfo inside it) masked."""
    secrets = set(_known)
    for url in urls:
        secrets |= url_secrets(url)
    for secret in sorted(secrets, key=len, reverse=True):  # longest first: fragments last
        text = text.replace(secret, MASK)
    text = _URL_USERINFO.sub(rf"\1:{MASK}@", text)
    return _KV_PASSWORD.sub(rf"\1{MASK}", text)


def remember(url: str) -> None:
    """Note the secrets of a URL this process uses, so log records never carry them."""
    _known.update(url_secrets(url))


def check_url(name: str, url: str) -> None:
    """Refuse an empty or unparsable connection string as a ConfigError naming `name`, with
    libpq's reason but none of the URL (its quoted fragments may be the password)."""
    if not isinstance(url, str) or not url.strip():
        raise ConfigError(f"{name} is empty; give a PostgreSQL URL or leave it unset")
    remember(url)
    try:
        conninfo_to_dict(url)
    except Exception as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        # libpq ends with the whole URL quoted; other quoted bits may be fragments of it
        bare = re.sub(r'"[^"]*"', '"..."', re.sub(r':\s*"[^"]*"\s*$', "", first))
        reason = redact(bare, url).strip()
        raise ConfigError(f"{name} is not a valid PostgreSQL URL ({reason})") from None


class RedactingFilter(logging.Filter):
    """Masks known passwords in a record's message and folds its traceback into one masked
    line (a psycopg exception's text may quote the URL)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            first = (str(exc).strip().splitlines() or [""])[0]
            message += f" ({type(exc).__name__}: {first})"
            record.exc_info = None
            record.exc_text = None
        record.msg = redact(message)
        record.args = None
        return True


_FILTER = RedactingFilter()
_LOGGERS = ("psycopg", "psycopg.pool", "roboco_sql")


def install_log_filter() -> None:
    """Put the filter on psycopg's, the pool's and our loggers (once; idempotent)."""
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
