"""Agreement between the three things that must move together: tables, models and queries.

Every query is prepared and described by the server; its parameters must be typed and its
result columns must be the fields of a model, in order, of compatible types. Every entity
model must have exactly one field per column of its table (secrets excepted).
"""

from __future__ import annotations

import datetime as dt
import inspect
import types
import uuid
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, Union, get_args, get_origin

import psycopg
from pydantic import AwareDatetime, BaseModel, NaiveDatetime

from roboco_sql import models
from roboco_sql.models.base import Row
from roboco_sql.queries import Queries, Query, QueryKind

# PostgreSQL type -> the Python kinds a field may use for it
_PG_KINDS = {
    "uuid": {"uuid"},
    "int2": {"int"},
    "int4": {"int"},
    "int8": {"int"},
    "float4": {"float"},
    "float8": {"float"},
    "numeric": {"float", "decimal"},
    "text": {"str", "enum"},
    "varchar": {"str", "enum"},
    "bpchar": {"str", "enum"},
    "bool": {"bool"},
    "timestamptz": {"datetime"},
    "timestamp": {"datetime"},
    "date": {"date"},
    "json": {"json"},
    "jsonb": {"json"},
}


def _kinds(annotation: Any) -> set[str]:
    """The kinds of value a field annotation admits (None aside)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _kinds(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        return set().union(*(_kinds(a) for a in get_args(annotation) if a is not type(None)))
    if origin in (list, tuple):
        return {"list", "json"}
    if origin is dict or annotation is dict:
        return {"json"}
    if annotation is Any or isinstance(annotation, str):
        return {"any"}
    if annotation in (AwareDatetime, NaiveDatetime):
        return {"datetime"}
    if inspect.isclass(annotation):
        if issubclass(annotation, Enum):
            return {"enum", "str"}
        if issubclass(annotation, bool):
            return {"bool"}
        for cls, kind in (
            (uuid.UUID, "uuid"),
            (int, "int"),
            (float, "float"),
            (Decimal, "decimal"),
            (str, "str"),
            (dt.datetime, "datetime"),
            (dt.date, "date"),
            (BaseModel, "json"),
        ):
            if issubclass(annotation, cls):
                return {kind}
    return {"json", "any"}  # JsonValue and friends


def _pg_kinds(typname: str, typtype: str) -> set[str]:
    if typname.startswith("_"):
        return {"list"}
    if typtype == "e":
        return {"enum", "str"}
    return _PG_KINDS.get(typname, {"any"})


def _compatible(field_kinds: set[str], column_kinds: set[str]) -> bool:
    if "any" in field_kinds or "any" in column_kinds:
        return True
    if "json" in column_kinds:
        return bool(field_kinds & {"json", "list"})
    return bool(field_kinds & column_kinds)


MESSAGING_QUERY_FILES = frozenset(
    {"channels.sql", "sessions.sql", "messages.sql", "bootstrap_messaging.sql"}
)
"""The query files over the tables RoboCo's 060_drop_messaging dropped: they prepare below 060
only, so they are checked against a database pinned at 059_x_credentials."""

DROPPED_BY_060 = frozenset({"channels", "groups", "sessions", "session_tasks", "messages"})


def split_messaging(every: Queries) -> tuple[Queries, Queries]:
    """(the queries that run at head, the messaging queries that need a database below 060)."""
    head = [q for q in every.values() if q.file not in MESSAGING_QUERY_FILES]
    messaging = [q for q in every.values() if q.file in MESSAGING_QUERY_FILES]
    return Queries(head), Queries(messaging)


def all_models() -> list[type[BaseModel]]:
    found: dict[str, type[BaseModel]] = {}
    for name in dir(models):
        obj = getattr(models, name)
        if inspect.isclass(obj) and issubclass(obj, BaseModel) and obj.model_fields:
            found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return list(found.values())


def field_names(model: type[BaseModel]) -> list[str]:
    return [f.alias or n for n, f in model.model_fields.items()]


def _types(conn: psycopg.Connection[Any]) -> dict[int, tuple[str, str]]:
    rows = conn.execute("SELECT oid::int, typname, typtype::text FROM pg_type").fetchall()
    return {oid: (name, kind) for oid, name, kind in rows}


def check_queries(
    conn: psycopg.Connection[Any], queries: Queries, candidates: list[type[BaseModel]] | None = None
) -> list[str]:
    """Problems with the queries against the live schema; [] when they agree."""
    candidates = all_models() if candidates is None else candidates
    by_fields: dict[tuple[str, ...], list[type[BaseModel]]] = {}
    for model in candidates:
        by_fields.setdefault(tuple(field_names(model)), []).append(model)
    pg_types = _types(conn)
    problems: list[str] = []
    seen: set[str] = set()
    for q in queries.values():
        if q.qualname in seen:
            continue
        seen.add(q.qualname)
        problems += _check_query(conn, q, by_fields, pg_types)
    return problems


def _check_query(
    conn: psycopg.Connection[Any],
    q: Query,
    by_fields: dict[tuple[str, ...], list[type[BaseModel]]],
    pg_types: dict[int, tuple[str, str]],
) -> list[str]:
    name = f"agreement_{abs(hash(q.qualname))}".encode()
    res = conn.pgconn.prepare(name, q.sql.encode())
    if res.error_message:
        msg = res.error_message.decode(errors="replace").strip().splitlines()[0]
        conn.pgconn.exec_(b"ROLLBACK")
        return [f"{q.label}: does not prepare: {msg}"]
    desc = conn.pgconn.describe_prepared(name)
    conn.pgconn.exec_(b"DEALLOCATE " + name)
    problems = []
    if desc.nparams != len(q.params):
        problems.append(
            f"{q.label}: server sees {desc.nparams} parameters, the file names {len(q.params)}"
        )
    columns: list[str] = []
    for i in range(desc.nfields):
        fname = desc.fname(i)
        assert fname is not None  # a described column always has a name
        columns.append(fname.decode())
    col_types = [pg_types.get(desc.ftype(i), ("?", "?")) for i in range(desc.nfields)]
    if q.kind in (QueryKind.EXEC, QueryKind.EXECROWS):
        if any(typname != "void" for typname, _ in col_types):
            problems.append(f"{q.label}: an :{q.kind} query returns columns {columns}")
        return problems
    if q.kind is QueryKind.SCALAR:
        if len(columns) != 1:
            problems.append(f"{q.label}: a :scalar query returns {len(columns)} columns")
        return problems
    if len(columns) == 1 or "returns: rows" in q.doc:
        return problems  # one value, or plain rows its module reads itself (tagged so)
    models_ = by_fields.get(tuple(columns))
    if not models_:
        problems.append(f"{q.label}: no model has exactly the fields {columns}")
        return problems
    model = models_[0]
    fields = list(model.model_fields.values())
    for column, (typname, typtype), field in zip(columns, col_types, fields, strict=True):
        if not _compatible(_kinds(field.annotation), _pg_kinds(typname, typtype)):
            problems.append(
                f"{q.label}: column {column} is {typname} but "
                f"{model.__name__}.{column} is {field.annotation}"
            )
    return problems


def check_tables(
    conn: psycopg.Connection[Any], entity_models: tuple[type[Row], ...] | None = None
) -> list[str]:
    """Every entity model has one field per column of its table, and nothing else; with the
    full registry, every table has its model."""
    entity_models = models.ENTITY_MODELS if entity_models is None else entity_models
    problems = []
    tables = {
        t
        for (t,) in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'alembic_version' AND tablename NOT LIKE 'chunks\\_%'"
        )
    }
    if entity_models is models.ENTITY_MODELS:
        modelled = {m.__table__ for m in entity_models}
        problems += [f"table {t} has no entity model" for t in sorted(tables - modelled)]
    for model in entity_models:
        rows = conn.execute(
            "SELECT a.attname, t.typname, t.typtype::text, a.attnotnull FROM pg_attribute a "
            "JOIN pg_type t ON t.oid = a.atttypid WHERE a.attrelid = to_regclass(%s) "
            "AND a.attnum > 0 AND NOT a.attisdropped",
            (f"public.{model.__table__}",),
        ).fetchall()
        if not rows:
            problems.append(f"{model.__name__}: table {model.__table__} does not exist")
            continue
        secrets = dict(model.__secret_columns__)
        columns = {name: (typname, typtype) for name, typname, typtype, _ in rows}
        fields = {f.alias or n: f for n, f in model.model_fields.items()}
        expected = {secrets.get(c, c) for c in columns}
        for missing in sorted(expected - set(fields)):
            problems.append(f"column {model.__table__}.{missing} has no field in {model.__name__}")
        for extra in sorted(set(fields) - expected):
            problems.append(f"{model.__name__}.{extra} has no column in {model.__table__}")
        for column, (typname, typtype) in columns.items():
            field = fields.get(column)
            if field is not None and not _compatible(
                _kinds(field.annotation), _pg_kinds(typname, typtype)
            ):
                problems.append(
                    f"column {model.__table__}.{column} is {typname} but "
                    f"{model.__name__}.{column} is {field.annotation}"
                )
    return problems
