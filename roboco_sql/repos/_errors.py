"""Database refusals turned into the domain errors, each naming the key or entity at fault."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import errors as pgerr

from roboco_sql.errors import Conflict, NotFound, SchemaGone, ValidationError
from roboco_sql.validate import ParamRefused

_KEY = re.compile(r"Key \((?P<cols>[^)]*)\)=\((?P<vals>.*)\)")
_MISSING = re.compile(r'is not present in table "(?P<table>[^"]+)"')
_REFERENCED = re.compile(r'is still referenced from table "(?P<table>[^"]+)"')
_UNDEFINED = re.compile(r'(?:relation|type) "(?:public\.)?(?P<name>[^"]+)" does not exist')

_MESSAGING = "060_drop_messaging"
_KEEP_MESSAGING = "pin ROBOCO_DATABASE_TARGET_REVISION below 060 to keep messaging"

# Tables RoboCo's chain dropped, and the enum types that went with them (named after the table
# that used them): the revision that dropped each and how to keep it.
_DROPPED: dict[str, tuple[str, str, str]] = {
    "channels": ("channels", _MESSAGING, _KEEP_MESSAGING),
    "groups": ("groups", _MESSAGING, _KEEP_MESSAGING),
    "sessions": ("sessions", _MESSAGING, _KEEP_MESSAGING),
    "session_tasks": ("session_tasks", _MESSAGING, _KEEP_MESSAGING),
    "messages": ("messages", _MESSAGING, _KEEP_MESSAGING),
    "channeltype": ("channels", _MESSAGING, _KEEP_MESSAGING),
    "sessionscope": ("sessions", _MESSAGING, _KEEP_MESSAGING),
    "sessionstatus": ("sessions", _MESSAGING, _KEEP_MESSAGING),
    "messagetype": ("messages", _MESSAGING, _KEEP_MESSAGING),
}


def _key(detail: str | None) -> str:
    match = _KEY.search(detail or "")
    if not match:
        return "key"
    vals = match.group("vals")
    vals = vals if len(vals) <= 80 else vals[:77] + "..."
    return f"{match.group('cols')}={vals}"


@contextmanager
def translated(entity: str) -> Iterator[None]:
    """Run statements about entity; integrity and data errors come out as domain errors, and a
    table (or its enum type) that a RoboCo revision dropped comes out as SchemaGone."""
    try:
        yield
    except ParamRefused as exc:  # a bound value refused before any SQL ran (validate.py)
        raise ValidationError(f"{entity}: {exc.reason}") from None
    except pgerr.UniqueViolation as exc:
        raise Conflict(f"{entity} with {_key(exc.diag.message_detail)} already exists") from None
    except pgerr.ForeignKeyViolation as exc:
        detail = exc.diag.message_detail or ""
        if match := _MISSING.search(detail):
            raise NotFound(f"{entity}: no {match.group('table')} row with {_key(detail)}") from None
        if match := _REFERENCED.search(detail):
            raise Conflict(
                f"{entity} with {_key(detail)} is still referenced from {match.group('table')}"
            ) from None
        raise Conflict(f"{entity}: {exc.diag.message_primary}") from None
    except pgerr.NotNullViolation as exc:
        raise ValidationError(f"{entity}: {exc.diag.column_name} is required") from None
    except pgerr.CheckViolation as exc:
        raise ValidationError(f"{entity}: violates {exc.diag.constraint_name}") from None
    except (pgerr.UndefinedTable, pgerr.UndefinedObject) as exc:
        match = _UNDEFINED.search(exc.diag.message_primary or "")
        gone = _DROPPED.get(match.group("name")) if match else None
        if gone is None:
            raise
        raise SchemaGone(*gone) from None
    except (pgerr.DataError, psycopg.DataError) as exc:
        first = (exc.diag.message_primary or str(exc)).splitlines()[0]
        raise ValidationError(f"{entity}: {first}") from None
