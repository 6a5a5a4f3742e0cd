"""Schema fingerprints: what the chain builds at each revision, as comparable lines.

A fingerprint is the set of a database's schema objects in schema public (tables, columns
with type, nullability and default, constraints, indexes, enum labels in order, views,
functions, extensions) and of the rows the chain seeds (providers, settings, the company
goals row), each as one normalised line. Our additions' objects (rsql_*) are not RoboCo's
schema and are left out. The chain's fingerprints are stored
beside its files as per-revision differences, so a version-less database can be recognised
(and later, drift reported) without building anything.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg.rows import TupleRow

from roboco_sql.errors import MigrationError
from roboco_sql.migrate.chain import Chain

Conn = psycopg.Connection[TupleRow]
FILENAME = "fingerprints.json"

# runtime tables: RAG chunks (created by the app) and the version table itself
_SKIP_TABLE = "(c.relname = 'alembic_version' OR c.relname LIKE 'chunks\\_%')"

_OBJECTS = f"""
SELECT 'table ' || c.relname
  FROM pg_class c
 WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND NOT {_SKIP_TABLE}
UNION ALL
SELECT 'column ' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
       || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
       || coalesce(CASE WHEN a.attgenerated = 's' THEN ' generated ' ELSE ' default ' END
                   || pg_get_expr(d.adbin, d.adrelid), '')
  FROM pg_attribute a
  JOIN pg_class c ON c.oid = a.attrelid
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
   AND a.attnum > 0 AND NOT a.attisdropped AND NOT {_SKIP_TABLE}
UNION ALL
SELECT 'constraint ' || c.relname || '.' || k.conname || ' ' || pg_get_constraintdef(k.oid)
  FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
 WHERE c.relnamespace = 'public'::regnamespace AND k.contype <> 'n' AND NOT {_SKIP_TABLE}
   AND k.conname NOT LIKE 'rsql\\_%'
UNION ALL
SELECT 'index ' || i.indexname || ' ' || i.indexdef
  FROM pg_indexes i
 WHERE i.schemaname = 'public' AND i.tablename <> 'alembic_version'
   AND i.tablename NOT LIKE 'chunks\\_%' AND i.indexname NOT LIKE 'rsql\\_%'
UNION ALL
SELECT 'enum ' || t.typname || ' ' || string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
  FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
 WHERE t.typnamespace = 'public'::regnamespace
 GROUP BY t.typname
UNION ALL
SELECT 'view ' || v.viewname FROM pg_views v WHERE v.schemaname = 'public'
UNION ALL
SELECT 'function ' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')'
  FROM pg_proc p
 WHERE p.pronamespace = 'public'::regnamespace
   AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
UNION ALL
SELECT 'extension ' || x.extname FROM pg_extension x
 WHERE x.extname NOT IN ('plpgsql', 'vector')
"""


# the rows the chain seeds, one line each; "seed <table> <key>|<values>"
SEEDS = {
    "provider_configs": "SELECT 'seed provider_configs ' || name || '|' || type::text || '|' "
    "|| coalesce(base_url, '') || '|' || enabled FROM public.provider_configs",
    "system_settings": "SELECT 'seed system_settings ' || key || '|' || value::text "
    "FROM public.system_settings",
    "company_goals": "SELECT 'seed company_goals ' || id::text FROM public.company_goals",
}


def snapshot(conn: Conn) -> frozenset[str]:
    """The live schema of public, and every row of the seeded tables, as a set of lines."""
    lines = {row[0] for row in conn.execute(_OBJECTS)}
    for table, query in SEEDS.items():
        if f"table {table}" in lines:
            lines.update(row[0] for row in conn.execute(query))
    return frozenset(lines)


def seed_key(line: str) -> str:
    """What a seed row is known by: its table and name (key, id)."""
    return line.partition("|")[0]


def comparable(live: frozenset[str], prints: Fingerprints) -> frozenset[str]:
    """The live lines a fingerprint speaks of: an operator's own providers and settings are
    not the chain's, so only seed rows whose name some revision seeds are compared."""
    known = {seed_key(line) for objects in prints.revisions.values() for line in objects}
    return frozenset(
        line for line in live if not line.startswith("seed ") or seed_key(line) in known
    )


@dataclass(frozen=True)
class Fingerprints:
    """Per-revision fingerprints of a chain, rebuilt from stored differences."""

    revisions: dict[str, frozenset[str]]

    @classmethod
    def from_steps(cls, steps: Iterable[tuple[str, frozenset[str]]]) -> Fingerprints:
        return cls(dict(steps))

    def to_json(self) -> str:
        out: dict[str, dict[str, list[str]]] = {}
        previous: frozenset[str] = frozenset()
        for rev, objects in self.revisions.items():
            out[rev] = {"add": sorted(objects - previous), "drop": sorted(previous - objects)}
            previous = objects
        return json.dumps({"format": 1, "revisions": out}, indent=1, sort_keys=False) + "\n"

    @classmethod
    def from_json(cls, text: str | bytes) -> Fingerprints:
        data = json.loads(text)
        current: set[str] = set()
        revisions: dict[str, frozenset[str]] = {}
        for rev, step in data["revisions"].items():
            current -= set(step["drop"])
            current |= set(step["add"])
            revisions[rev] = frozenset(current)
        return cls(revisions)


def load(directory: Path) -> Fingerprints | None:
    path = directory / FILENAME
    if not path.exists():
        return None
    return Fingerprints.from_json(path.read_bytes())  # json reads bytes as UTF-8, any locale


@dataclass(frozen=True)
class Match:
    revision: str | None  # the revision matched exactly, if any
    closest: str | None = None
    missing: list[str] = field(default_factory=list)  # in closest, not in the database
    extra: list[str] = field(default_factory=list)  # in the database, not in closest

    def describe(self, limit: int = 5) -> str:
        if self.closest is None:
            return "no fingerprints are stored for this chain"

        def some(items: list[str]) -> str:
            more = f" (+{len(items) - limit} more)" if len(items) > limit else ""
            return "; ".join(items[:limit]) + more if items else "none"

        return (
            f"Closest revision: {self.closest}; missing: {some(self.missing)}; "
            f"extra: {some(self.extra)}"
        )


def closest(live: frozenset[str], prints: Fingerprints) -> Match:
    """The revision whose fingerprint is nearest the live one. Ties go to the EARLIEST:
    revisions that change nothing a fingerprint sees are made safe to run again, so stamping
    the earliest of them re-runs the later ones and skips none."""
    live = comparable(live, prints)
    best: tuple[int, int, str] | None = None
    for position, (rev, objects) in enumerate(prints.revisions.items()):
        distance = len(objects ^ live)
        if best is None or (distance, position) < (best[0], best[1]):
            best = (distance, position, rev)
    if best is None:
        return Match(None)
    rev = best[2]
    objects = prints.revisions[rev]
    if best[0] == 0:
        return Match(rev, rev)
    return Match(None, rev, sorted(objects - live), sorted(live - objects))


# kinds whose second word names the object, so a line that differs after it is a change
_NAMED = ("column", "constraint", "index", "enum")


def _key(line: str) -> str:
    if line.startswith("seed "):
        return seed_key(line)
    kind, _, rest = line.partition(" ")
    return f"{kind} {rest.partition(' ')[0]}" if kind in _NAMED else line


@dataclass(frozen=True)
class Change:
    """One difference between the live schema and the one the chain builds."""

    kind: str  # "missing" (the chain builds it, the database lacks it), "extra" or "changed"
    key: str  # what it is, e.g. "column tasks.title" or "index ix_tasks_status"
    expected: str | None  # the chain's line
    live: str | None  # the database's line

    def __str__(self) -> str:
        def rest(line: str | None) -> str:
            return (line or "")[len(self.key) :].strip()

        if self.kind == "changed":
            return (
                f"changed {self.key}: the chain builds [{rest(self.expected)}], "
                f"the database has [{rest(self.live)}]"
            )
        detail = rest(self.expected if self.kind == "missing" else self.live)
        return f"{self.kind} {self.key}" + (f": {detail}" if detail else "")


def diff(expected: frozenset[str], live: frozenset[str]) -> list[Change]:
    """Every difference; an object on both sides whose details differ is one change."""
    missing = {_key(line): line for line in expected - live}
    extra = {_key(line): line for line in live - expected}
    changes = []
    for key in set(missing) | set(extra):
        kind = "missing" if key not in extra else "extra" if key not in missing else "changed"
        changes.append(Change(kind, key, missing.get(key), extra.get(key)))
    return sorted(changes, key=lambda c: c.key)


def drift(conn: Conn, chain: Chain, revision: str) -> list[Change] | None:
    """How the live schema differs from the stored fingerprint of revision (one query).

    None when the chain stores no fingerprint for that revision.
    """
    prints = load(chain.directory)
    if prints is None or revision not in prints.revisions:
        return None
    return diff(prints.revisions[revision], comparable(snapshot(conn), prints))


def identify(conn: Conn, chain: Chain) -> Match:
    prints = load(chain.directory)
    if prints is None:
        return Match(None)
    if set(prints.revisions) != {m.revision for m in chain}:
        raise MigrationError(
            f"{chain.directory / FILENAME} is out of date with the chain; "
            "regenerate it with `python -m roboco_sql fingerprint`"
        )
    return closest(snapshot(conn), prints)
