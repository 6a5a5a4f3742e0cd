"""RoboCo's schema as the chain: exact at every revision, from any revision, with rows."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest

from roboco_sql.migrate import load_chain, migrate
from roboco_sql.migrate.fingerprint import Fingerprints, load, snapshot
from roboco_sql.migrate.runner import BASE, PURE, Options
from tests.conftest import FIXTURES, run_cli
from tests.fix_catalog import diff, dump, reference
from tests.fix_migrate import OURS_AT_HEAD, names, row

CHAIN = load_chain()
PURE_RUN = Options(additions=PURE)  # RoboCo's catalog exactly, none of our additions
# going back, as an operator who took a backup: `migrate --to OLDER --allow-data-loss`
PURE_BACK = Options(additions=PURE, go_back=True, allow_data_loss=True)
# the files roboco_sql 0.1.0 shipped that differ now: our 045/046, and 030/031 as RoboCo had
# them before editing them in place
OLD_MAIN = FIXTURES / "chain_0_1_0"


def earliest_twin(revision: str) -> str:
    """The earliest revision whose reference catalog, seed rows included, equals this one's
    (a version-less database there is stamped at it; the reference decides, not our files)."""
    catalogs = reference()["catalogs"]
    order: list[str] = reference()["order"]
    return next(r for r in order if catalogs[r] == catalogs[revision])


def test_chain_is_roboco_chain_exactly() -> None:
    assert [m.revision for m in CHAIN] == reference()["order"]
    assert len(CHAIN) == 94 and CHAIN.head == "093_playbook_source_program"
    assert max(len(m.revision) for m in CHAIN) == 31  # 063_video_engine_project_toggle
    assert [a.name for a in CHAIN.additions] == [
        "task_graph_indexes",
        "task_scope_check",
        "task_lookup_indexes",
    ]


def versions(url: str) -> list[tuple[str]]:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT version_num FROM alembic_version").fetchall()


def test_every_revision_matches_the_reference_is_stamped_exactly_and_goes_back(
    empty_url: str,
) -> None:
    """Step one database through all 94 revisions, one run each: after each, the catalog is
    RoboCo's (seed rows included) and alembic_version holds RoboCo's id. At each R:

    - without any version table (and without our bookkeeping) it is stamped at exactly R
      (ties: the earliest of identical revisions, the later ones then run again);
    - it goes back to R's parent through R's down section (the catalog is the parent's; for
      001 an empty schema) and up to R again (R's catalog once more).

    The walk then continues from that database, so every stamped state is carried to a head
    equal to the reference's."""
    stored = load(CHAIN.directory)
    assert stored is not None
    empty = dump(empty_url)
    built: list[tuple[str, frozenset[str]]] = []

    def same_as(revision: str, when: str) -> None:
        differences = diff(reference()["catalogs"][revision], dump(empty_url))
        assert differences == [], f"{when}:\n" + "\n".join(differences)

    for m in CHAIN:
        migrate(empty_url, CHAIN, m.revision, options=PURE_RUN)
        same_as(m.revision, m.revision)
        assert versions(empty_url) == [(m.revision,)]
        with psycopg.connect(empty_url) as conn:
            built.append((m.revision, snapshot(conn)))
        with psycopg.connect(empty_url, autocommit=True) as conn:
            conn.execute("DROP TABLE alembic_version; DROP SCHEMA roboco_sql CASCADE")
        report = migrate(empty_url, CHAIN, m.revision, options=PURE_RUN)
        assert report.stamped == earliest_twin(m.revision), m.revision
        assert versions(empty_url) == [(m.revision,)]
        if report.applied:  # the later twins ran again
            same_as(m.revision, f"{m.revision} stamped at {report.stamped}")
        back = migrate(empty_url, CHAIN, m.down_revision or BASE, options=PURE_BACK)
        assert [r.revision for r in back.reverted] == [m.revision]
        if m.down_revision is None:
            assert dump(empty_url) == empty and versions(empty_url) == []
        else:
            same_as(m.down_revision, f"down of {m.revision}")
            assert versions(empty_url) == [(m.down_revision,)]
        again = migrate(empty_url, CHAIN, m.revision, options=PURE_RUN)
        assert [r.revision for r in again.applied] == [m.revision]
        same_as(m.revision, f"{m.revision} again")
    assert diff(reference()["catalogs"][CHAIN.head], dump(empty_url)) == []
    assert Fingerprints.from_steps(built).revisions == stored.revisions, (
        "sql/migrations/fingerprints.json is stale: run python -m roboco_sql fingerprint"
    )


def test_a_fresh_build_in_one_run_is_the_reference_head(empty_url: str) -> None:
    first = run_cli("migrate", "--database-url", empty_url)
    assert first.returncode == 0, first.stderr
    assert f"applied {len(CHAIN)} revisions" in first.stdout
    assert "applied addition task_graph_indexes" in first.stdout
    assert first.stdout.strip().endswith(f"at {CHAIN.head}")
    assert diff(reference()["catalogs"][CHAIN.head], dump(empty_url)) == []
    status = run_cli("status", "--database-url", empty_url)
    assert status.returncode == 0 and "at head" in status.stdout
    again = run_cli("migrate", "--json", "--database-url", empty_url)
    assert again.returncode == 0
    assert json.loads(again.stdout)["applied"] == []


def test_each_revision_runs_alone_from_its_predecessor(empty_url: str) -> None:
    """Single steps by separate processes, across RoboCo's old 015 -> 016 break and across
    the enum labels 084 and 090 add, which 085 and 091 insert (each file commits first)."""
    pure = {"ROBOCO_DATABASE_ADDITIONS": "none"}
    for first, last in (("013", "018"), ("083", "093")):
        steps = [m for m in CHAIN if first <= m.revision[:3] <= last]
        migrate(empty_url, CHAIN, steps[0].down_revision, options=PURE_RUN)
        for m in steps:
            url = ("--database-url", empty_url)
            result = run_cli("migrate", "--to", m.revision, *url, env=pure)
            assert result.returncode == 0, (m.revision, result.stderr)
            assert f"applied {m.revision}" in result.stdout
            assert diff(reference()["catalogs"][m.revision], dump(empty_url)) == [], m.revision


def test_our_objects_never_take_a_name_roboco_uses(empty_url: str) -> None:
    """Every name in any of RoboCo's 94 catalogs is RoboCo's; ours are rsql_* in public and
    our bookkeeping lives in its own schema."""
    theirs: set[str] = set()
    for catalog in reference()["catalogs"].values():
        theirs |= set(catalog["tables"]) | set(catalog["enums"])
        for table in catalog["tables"].values():
            theirs |= set(table["constraints"]) | set(table["indexes"])
    migrate(empty_url, CHAIN, options=Options(additions=frozenset({"default", "task_scope_check"})))
    public = names(
        empty_url,
        "SELECT indexname FROM pg_indexes WHERE schemaname = 'public' "
        "UNION SELECT conname FROM pg_constraint WHERE connamespace = 'public'::regnamespace",
    )
    ours = {name for name in public if name.startswith("rsql_")}
    assert ours == OURS_AT_HEAD
    assert not ours & theirs
    assert not any(name.startswith("rsql_") for name in theirs)


def test_the_parent_index_gives_way_to_roboco_069(empty_url: str) -> None:
    def indexes() -> set[str]:
        return names(
            empty_url,
            "SELECT indexname FROM pg_indexes WHERE tablename = 'tasks' "
            "AND indexdef LIKE '%(parent_task_id)'",
        )

    migrate(empty_url, CHAIN, "068_tasks_constraints_column")
    assert indexes() == {"rsql_tasks_parent_task_id"}
    report = migrate(empty_url, CHAIN)
    assert "task_graph_indexes" in report.additions
    assert indexes() == {"ix_tasks_parent_task_id"}
    assert migrate(empty_url, CHAIN).applied == []  # and then nothing more to do


def _old_main_chain(tmp_path: Path) -> Any:
    """roboco_sql 0.1.0's chain: RoboCo's 001..044 (030/031 as then), then our 045/046 in
    RoboCo's namespace."""
    directory = tmp_path / "chain_0_1_0"
    directory.mkdir()
    for m in CHAIN.migrations[:45]:
        shutil.copy(m.path, directory / m.path.name)
    for path in OLD_MAIN.glob("*.sql"):
        shutil.copy(path, directory / path.name)  # replacing today's 030/031
    return load_chain(directory)


@pytest.mark.parametrize("old", ["045_task_scope_check", "046_task_graph_indexes"])
def test_a_database_of_the_old_layout_moves_over_with_its_rows(
    empty_url: str, tmp_path: Path, old: str
) -> None:
    old_chain = _old_main_chain(tmp_path)
    migrate(empty_url, old_chain, old)
    with psycopg.connect(empty_url) as conn:
        _seed_tasks(conn, [{"id": uuid.uuid4(), "status": "pending"} for _ in range(5)])
        before = conn.execute("SELECT id, title, status::text FROM tasks ORDER BY id").fetchall()
    status = run_cli("status", "--database-url", empty_url)
    assert status.returncode == 1, status.stdout + status.stderr  # pending, not unknown
    said: list[str] = []
    report = migrate(empty_url, CHAIN, echo=said.append)
    assert report.relaid == old and report.to_revision == CHAIN.head
    assert said[0] == (
        f"moved a database at roboco_sql's old {old} to today's layout: "
        "044_convention_findings in RoboCo's chain, our objects as additions"
    )
    assert len(report.applied) == 49  # 045_observability_rework .. 093
    with psycopg.connect(empty_url) as conn:
        after = conn.execute("SELECT id, title, status::text FROM tasks ORDER BY id").fetchall()
        history = {r for (r,) in conn.execute("SELECT revision FROM roboco_sql.history")}
        added: dict[str, str] = dict(
            conn.execute("SELECT name, at_revision FROM roboco_sql.additions")
        )
        scope = conn.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = 'tasks'::regclass AND contype = 'c'"
        ).fetchall()
    assert after == before
    assert not history & {"045_task_scope_check", "046_task_graph_indexes"}
    assert "093_playbook_source_program" in history
    assert added["task_scope_check"] == CHAIN.head  # it had the CHECK: it keeps it, renamed
    assert scope == [("rsql_tasks_scope",)]
    assert diff(reference()["catalogs"][CHAIN.head], dump(empty_url)) == []
    assert migrate(empty_url, CHAIN).applied == []


def _row_count(url: str, table: str) -> int:
    counted = row(url, f"SELECT count(*) FROM {table}")
    return int(counted[0]) if counted else 0


def test_060_refuses_to_drop_messaging_with_rows_unless_told(empty_url: str) -> None:
    migrate(empty_url, CHAIN, "059_x_credentials")
    with psycopg.connect(empty_url) as conn:
        _seed_tasks(conn, [])
        _insert(conn, "channels", {"id": uuid.uuid4(), "name": "general"})
    refused = run_cli("migrate", "--database-url", empty_url)
    assert refused.returncode == 5, refused.stderr
    line = refused.stderr.strip().splitlines()[-1]
    assert "060_drop_messaging drops channels (1 row)" in line
    assert "backup" in line and "--allow-data-loss" in line
    assert _row_count(empty_url, "channels") == 1
    pinned = run_cli(
        "migrate",
        "--database-url",
        empty_url,
        env={"ROBOCO_DATABASE_TARGET_REVISION": "059_x_credentials"},
    )
    assert pinned.returncode == 0 and "nothing to apply" in pinned.stdout, pinned.stderr
    allowed = run_cli("migrate", "--allow-data-loss", "--database-url", empty_url)
    assert allowed.returncode == 0, allowed.stderr
    assert row(empty_url, "SELECT to_regclass('channels')") == (None,)


def test_a_database_matching_no_revision_is_refused_untouched(empty_url: str) -> None:
    migrate(empty_url, CHAIN, "050_playbooks", options=PURE_RUN)
    with psycopg.connect(empty_url, autocommit=True) as conn:
        conn.execute("DROP TABLE alembic_version; DROP SCHEMA roboco_sql CASCADE")
        conn.execute("ALTER TABLE playbooks DROP COLUMN tags")
        conn.execute("DROP EXTENSION IF EXISTS vector")
    result = run_cli("migrate", "--database-url", empty_url)
    assert result.returncode == 1
    assert "matches no revision exactly; nothing was changed" in result.stderr
    assert "Closest revision: 050_playbooks; missing: column playbooks.tags" in result.stderr
    left = row(
        empty_url,
        "SELECT to_regclass('alembic_version'), to_regnamespace('roboco_sql'), "
        "(SELECT count(*) FROM pg_extension WHERE extname = 'vector')",
    )
    assert left == (None, None, 0)


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
    for task in rows:
        _insert(
            conn,
            "tasks",
            {
                "project_id": project,
                "created_by": agent,
                "title": "t",
                "description": "a description long enough",
                **task,
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


# -- going back with rows --------------------------------------------------------------------

BACK = Options(go_back=True, allow_data_loss=True)


def test_going_back_past_016_keeps_the_tasks_and_drops_the_products(empty_url: str) -> None:
    """016 adds products and tasks.product_id; its down section loses those (it is marked
    irreversible, so going back is refused until allowed) and keeps every task as it was."""
    migrate(empty_url, CHAIN, "016_add_products_product_id")
    with psycopg.connect(empty_url) as conn:
        _seed_tasks(conn, [{"id": uuid.uuid4(), "status": s} for s in ("pending", "completed")])
        agent, project = conn.execute("SELECT created_by, project_id FROM tasks").fetchone() or ()
        product = uuid.uuid4()
        _insert(conn, "products", {"id": product, "name": "P", "slug": "p", "created_by": agent})
        _insert(
            conn,
            "product_projects",
            {"id": uuid.uuid4(), "product_id": product, "team": "backend", "project_id": project},
        )
        conn.execute("UPDATE tasks SET product_id = %s WHERE status = 'pending'", (product,))
        tasks = "SELECT id, title, description, status::text, project_id FROM tasks ORDER BY id"
        before = conn.execute(tasks).fetchall()
    refused = run_cli(
        "migrate", "--to", "015_drop_task_execution_outputs", "--database-url", empty_url
    )
    assert refused.returncode == 5, refused.stderr
    assert refused.stderr.strip().splitlines() == [
        "error: refusing to go back past irreversible revisions (016_add_products_product_id: "
        "drops products, product_projects and tasks.product_id (tasks themselves stay)). Nothing "
        "was applied. Back it up first (python -m roboco_sql backup FILE), then run migrate --to "
        "015_drop_task_execution_outputs --allow-data-loss"
    ]
    assert _row_count(empty_url, "products") == 1  # untouched
    report = migrate(empty_url, CHAIN, "015_drop_task_execution_outputs", options=BACK)
    assert [r.revision for r in report.reverted] == ["016_add_products_product_id"]
    assert diff(reference()["catalogs"]["015_drop_task_execution_outputs"], dump(empty_url)) == []
    with psycopg.connect(empty_url) as conn:
        assert conn.execute(tasks).fetchall() == before
        lost = conn.execute("SELECT data_lost FROM roboco_sql.reverted").fetchall()
    assert lost == [
        ("drops products, product_projects and tasks.product_id (tasks themselves stay)",)
    ]
    migrate(empty_url, CHAIN, "016_add_products_product_id")
    with psycopg.connect(empty_url) as conn:
        assert conn.execute(tasks).fetchall() == before
        assert conn.execute("SELECT count(product_id) FROM tasks").fetchone() == (0,)


def test_markers_go_back_into_quick_context_below_041_and_return(empty_url: str) -> None:
    """041 moved orchestration markers out of quick_context; going back puts them back there,
    in the form 041 reads, so going up again finds the same markers."""
    migrate(empty_url, CHAIN, "040_awaiting_pr_review")
    with psycopg.connect(empty_url) as conn:
        _seed_tasks(
            conn,
            [
                {
                    "id": uuid.uuid4(),
                    "quick_context": "original_developer: dev-1\nkeep this line\n"
                    "dismissed=1 note self_heal_fp=abc",
                },
                {"id": uuid.uuid4(), "quick_context": "required_cells: backend, frontend"},
                {"id": uuid.uuid4(), "quick_context": "plain words"},
            ],
        )
    migrate(empty_url, CHAIN, "041_structured_content_columns")
    markers = "SELECT id, quick_context, orchestration_markers::text FROM tasks ORDER BY id"
    with psycopg.connect(empty_url) as conn:
        at_041 = conn.execute(markers).fetchall()
    assert sum(m is not None and m != "{}" for _, _, m in at_041) == 2
    migrate(empty_url, CHAIN, "040_awaiting_pr_review", options=BACK)
    with psycopg.connect(empty_url) as conn:
        contexts: dict[uuid.UUID, str | None] = dict(
            conn.execute("SELECT id, quick_context FROM tasks").fetchall()
        )
    for task, _context, marked in at_041:
        for key in json.loads(marked or "{}"):
            assert key in (contexts[task] or ""), (key, contexts[task])
    migrate(empty_url, CHAIN, "041_structured_content_columns")
    with psycopg.connect(empty_url) as conn:
        again = conn.execute(markers).fetchall()
    assert [json.loads(m or "{}") for _, _, m in again] == [
        json.loads(m or "{}") for _, _, m in at_041
    ]
    assert [c for _, c, _ in again] == [c for _, c, _ in at_041]
