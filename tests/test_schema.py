"""RoboCo's schema as the chain: exact at every revision, from any revision, with rows."""

from __future__ import annotations

import json
import uuid
from typing import Any

import psycopg

from roboco_sql.migrate import load_chain, migrate
from roboco_sql.migrate.fingerprint import Fingerprints, load, snapshot
from tests.conftest import run_cli
from tests.fix_catalog import diff, dump, reference

CHAIN = load_chain()


ROBOCO_HEAD = "044_convention_findings"


def test_chain_is_roboco_chain_then_ours() -> None:
    ids = [m.revision for m in CHAIN]
    assert ids[:45] == reference()["order"]
    assert ids[44] == ROBOCO_HEAD
    assert max(len(m.revision) for m in CHAIN.migrations[:45]) == 31


def test_every_revision_matches_the_reference_catalog(
    empty_url: str, db_url: str, new_database: Any
) -> None:
    """Step a fresh database through every revision; after each of RoboCo's, its catalog.

    On the way, every intermediate database is cloned and brought to head in a second
    process, which must end identical to a fresh build; and the stored fingerprints must be
    what the chain builds.
    """
    head_catalog = dump(db_url)  # a fresh build at head
    stored = load(CHAIN.directory)
    assert stored is not None
    built: list[tuple[str, frozenset[str]]] = []
    for i, m in enumerate(CHAIN):
        migrate(empty_url, CHAIN, m.revision)
        if m.revision in reference()["catalogs"]:  # ours have none: fingerprints cover them
            differences = diff(reference()["catalogs"][m.revision], dump(empty_url))
            assert differences == [], f"{m.revision}:\n" + "\n".join(differences)
        with psycopg.connect(empty_url) as conn:
            built.append((m.revision, snapshot(conn)))
            conn.commit()
        if m.revision != CHAIN.head:
            clone = new_database(
                f"roboco_from_{i}", template=psycopg.conninfo.conninfo_to_dict(empty_url)["dbname"]
            )
            result = run_cli("migrate", "--database-url", clone)
            assert result.returncode == 0, result.stderr
            assert diff(head_catalog, dump(clone)) == [], m.revision
    assert Fingerprints.from_steps(built).revisions == stored.revisions, (
        "sql/migrations/fingerprints.json is stale: run python -m roboco_sql fingerprint"
    )


def test_each_revision_runs_alone_from_its_predecessor(empty_url: str) -> None:
    """Every file applied by its own process (RoboCo's chain breaks at 015 -> 016 here)."""
    steps = CHAIN.migrations[12:18]  # 013 .. 018, across RoboCo's 015 -> 016 break
    for m in steps:
        result = run_cli("migrate", "--to", m.revision, "--database-url", empty_url)
        assert result.returncode == 0, (m.revision, result.stderr)
        assert f"applied {m.revision}" in result.stdout
    assert diff(reference()["catalogs"][steps[-1].revision], dump(empty_url)) == []


def test_fresh_build_reports_45_then_nothing(empty_url: str) -> None:
    first = run_cli("migrate", "--database-url", empty_url)
    assert first.returncode == 0, first.stderr
    assert f"applied {len(CHAIN)} revisions" in first.stdout
    assert first.stdout.strip().endswith(f"at {CHAIN.head}")
    status = run_cli("status", "--database-url", empty_url)
    assert status.returncode == 0 and "at head" in status.stdout
    again = run_cli("migrate", "--json", "--database-url", empty_url)
    assert again.returncode == 0
    assert json.loads(again.stdout)["applied"] == []


def _insert(conn: psycopg.Connection[Any], table: str, row: dict[str, Any]) -> None:
    """Insert row, giving the other NOT NULL columns without defaults a value of their type."""
    required = conn.execute(
        "SELECT column_name, udt_name FROM information_schema.columns WHERE table_name = %s "
        "AND is_nullable = 'NO' AND column_default IS NULL",
        (table,),
    ).fetchall()
    samples = {
        "int4": 1,
        "int2": 1,
        "int8": 1,
        "bool": False,
        "uuid": uuid.uuid4(),
        "jsonb": psycopg.types.json.Jsonb({}),
        "json": psycopg.types.json.Json({}),
        "timestamp": "2026-01-01",
        "timestamptz": "2026-01-01T00:00:00Z",
        "_text": [],
        "_uuid": [],
        "_varchar": [],
        "varchar": "x",
        "text": "x",
    }
    values = dict(row)
    for col, kind in required:
        if col in values:
            continue
        if kind in samples:
            values[col] = samples[kind] if col != "id" else uuid.uuid4()
        else:  # an enum: its first label
            label = conn.execute(
                "SELECT e.enumlabel FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid "
                "WHERE t.typname = %s ORDER BY e.enumsortorder LIMIT 1",
                (kind,),
            ).fetchone()
            assert label is not None, (table, col, kind)
            values[col] = label[0]
    names = ", ".join(values)
    marks = ", ".join(["%s"] * len(values))
    conn.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", list(values.values()))


def _seed_tasks(conn: psycopg.Connection[Any], rows: list[dict[str, Any]]) -> None:
    """A project, an agent, and the given tasks in them."""
    project, agent = uuid.uuid4(), uuid.uuid4()
    _insert(conn, "agents", {"id": agent, "slug": "dev-1"})
    _insert(conn, "projects", {"id": project, "slug": "p", "name": "p", "created_by": agent})
    for row in rows:
        _insert(
            conn,
            "tasks",
            {
                "project_id": project,
                "created_by": agent,
                "title": "t",
                "description": "a description long enough",
                **row,
            },
        )


def test_tasks_in_every_status_survive_the_011_enum_rebuild(empty_url: str) -> None:
    migrate(empty_url, CHAIN, "010_audit_log_details_jsonb")
    with psycopg.connect(empty_url) as conn:
        statuses = [s for (s,) in conn.execute("SELECT unnest(enum_range(NULL::taskstatus))::text")]
        statuses = [s for s in statuses if s != "quarantined"]
        assert len(statuses) == 14
        rows = [{"id": uuid.uuid4(), "status": s} for s in statuses]
        _seed_tasks(conn, rows)
        before = conn.execute("SELECT id, status::text FROM tasks ORDER BY id").fetchall()
    migrate(empty_url, CHAIN, "011_drop_quarantined_state")
    with psycopg.connect(empty_url) as conn:
        after = conn.execute("SELECT id, status::text FROM tasks ORDER BY id").fetchall()
        labels = conn.execute("SELECT enum_range(NULL::taskstatus)::text[]").fetchone()
    assert after == before
    assert labels is not None and "quarantined" not in labels[0]


def test_quarantined_task_stops_011_and_loses_nothing(empty_url: str) -> None:
    migrate(empty_url, CHAIN, "010_audit_log_details_jsonb")
    with psycopg.connect(empty_url, autocommit=True) as conn:
        # a database whose 009 took RoboCo's other path has this label
        conn.execute("ALTER TYPE taskstatus ADD VALUE IF NOT EXISTS 'quarantined'")
        _seed_tasks(conn, [{"id": uuid.uuid4(), "status": "quarantined"}])
    result = run_cli("migrate", "--database-url", empty_url)
    assert result.returncode == 1
    assert "011_drop_quarantined_state failed at 011_drop_quarantined_state.sql:" in result.stderr
    assert "nothing of 011_drop_quarantined_state was applied" in result.stderr
    with psycopg.connect(empty_url) as conn:
        version = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        count = conn.execute("SELECT count(*) FROM tasks WHERE status = 'quarantined'").fetchone()
    assert version == ("010_audit_log_details_jsonb",)
    assert count == (1,)


def test_acceptance_ids_and_markers_move_through_036_and_041(empty_url: str) -> None:
    migrate(empty_url, CHAIN, "035_secretary_directives")
    with psycopg.connect(empty_url) as conn:
        rows: list[dict[str, Any]] = [
            {
                "id": uuid.uuid4(),
                "acceptance_criteria": ["builds", "tests pass"],
                "quick_context": "original_developer: dev-1\nkeep this line\n"
                "dismissed=1 note self_heal_fp=abc",
            },
            {
                "id": uuid.uuid4(),
                "acceptance_criteria": [],
                "quick_context": "required_cells: backend, frontend\ndocumenter: doc-2",
            },
            {"id": uuid.uuid4(), "acceptance_criteria": ["one"], "quick_context": None},
            {"id": uuid.uuid4(), "acceptance_criteria": ["x"], "quick_context": "plain words"},
        ]
        _seed_tasks(conn, rows)
        before = {
            r[0]: r[1:]
            for r in conn.execute("SELECT id, title, description, acceptance_criteria FROM tasks")
        }
    migrate(empty_url, CHAIN, "041_structured_content_columns")
    with psycopg.connect(empty_url) as conn:
        after = {
            r[0]: r[1:]
            for r in conn.execute("SELECT id, title, description, acceptance_criteria FROM tasks")
        }
        got = {
            r[0]: r[1:]
            for r in conn.execute(
                "SELECT id, acceptance_criteria_ids, quick_context, orchestration_markers "
                "FROM tasks"
            )
        }
    assert after == before  # every row, every untouched column
    first, second, third, fourth = (got[r["id"]] for r in rows)
    assert len(first[0]) == 2 and len(set(first[0])) == 2 and second[0] == []
    assert len(third[0]) == 1
    assert first[1] == "keep this line\nnote"
    assert first[2] == {"original_developer": "dev-1", "dismissed": True, "self_heal_fp": "abc"}
    assert second[1] is None
    assert second[2] == {"required_cells": ["backend", "frontend"], "documenter": "doc-2"}
    assert third[1] is None and fourth[1] == "plain words"
    assert third[2] in (None, {}) and fourth[2] in (None, {})
