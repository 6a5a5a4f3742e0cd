"""A database's catalog in the shape of RoboCo's reference (tests/fixtures), for comparison.

Columns (type, NOT NULL, default, generated), constraints (without PostgreSQL 18's NOT NULL
constraints), indexes, enum labels in order, extensions, functions, views, and the seed rows
of the three seeded tables.
"""

from __future__ import annotations

import gzip
import json
from functools import cache
from typing import Any

import psycopg

from tests.conftest import FIXTURES

OURS = "rsql_"
SEEDS = {
    "provider_configs": "SELECT name, type::text, base_url, enabled FROM provider_configs "
    "ORDER BY name",
    "system_settings": "SELECT key, value::text FROM system_settings ORDER BY key",
    "company_goals": "SELECT id::text FROM company_goals ORDER BY id",
}


@cache
def reference() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        gzip.decompress((FIXTURES / "roboco-catalog.json.gz").read_bytes())
    )
    return data


def dump(url: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "tables": {},
        "enums": {},
        "extensions": [],
        "functions": [],
        "views": [],
        "seeds": {},
    }
    with psycopg.connect(url) as c:
        tables = [
            t
            for (t,) in c.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'alembic_version' ORDER BY 1"
            )
        ]
        for t in tables:
            rel = f"public.{t}"
            cols = c.execute(
                "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, "
                "pg_get_expr(d.adbin, d.adrelid), a.attgenerated FROM pg_attribute a "
                "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
                "WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped",
                (rel,),
            ).fetchall()
            cons = c.execute(
                "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype <> 'n'",
                (rel,),
            ).fetchall()
            idx = c.execute(
                "SELECT indexname, indexdef FROM pg_indexes "
                "WHERE schemaname = 'public' AND tablename = %s",
                (t,),
            ).fetchall()
            out["tables"][t] = {
                "columns": {
                    n: {"type": ty, "notnull": nn, "default": df, "generated": g or None}
                    for n, ty, nn, df, g in cols
                },
                # our additions' objects (rsql_*) are not RoboCo's catalog; test_schema checks them
                "constraints": {n: f"{ct}:{d}" for n, ct, d in cons if not n.startswith(OURS)},
                "indexes": {n: d for n, d in idx if not n.startswith(OURS)},
            }
        for name, labels in c.execute(
            "SELECT t.typname, array_agg(e.enumlabel ORDER BY e.enumsortorder) "
            "FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid "
            "WHERE t.typnamespace = 'public'::regnamespace GROUP BY 1"
        ):
            out["enums"][name] = list(labels)
        out["extensions"] = [
            e
            for (e,) in c.execute(
                "SELECT extname FROM pg_extension WHERE extname NOT IN ('plpgsql', 'vector') "
                "ORDER BY 1"
            )
        ]
        out["functions"] = [
            f
            for (f,) in c.execute(
                "SELECT p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')' "
                "FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace AND NOT EXISTS "
                "(SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e') ORDER BY 1"
            )
        ]
        out["views"] = [
            v
            for (v,) in c.execute(
                "SELECT viewname FROM pg_views WHERE schemaname = 'public' ORDER BY 1"
            )
        ]
        for t, query in SEEDS.items():
            if t in out["tables"]:
                try:
                    with c.transaction():
                        rows = c.execute(query).fetchall()
                    out["seeds"][t] = [
                        [v if v is None or isinstance(v, bool | int) else str(v) for v in r]
                        for r in rows
                    ]
                except psycopg.Error as exc:  # a column missing at an early revision
                    out["seeds"][t] = f"error: {type(exc).__name__}"
    return out


def diff(a: Any, b: Any, path: str = "") -> list[str]:
    """Readable differences: - only in a, + only in b, ~ differs."""
    if isinstance(a, dict) and isinstance(b, dict):
        lines: list[str] = []
        for k in sorted(set(a) | set(b)):
            p = f"{path}/{k}"
            if k not in a:
                lines.append(f"+ {p}: {json.dumps(b[k])[:200]}")
            elif k not in b:
                lines.append(f"- {p}: {json.dumps(a[k])[:200]}")
            else:
                lines += diff(a[k], b[k], p)
        return lines
    return [] if a == b else [f"~ {path}: {json.dumps(a)[:200]} != {json.dumps(b)[:200]}"]
