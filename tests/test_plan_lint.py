"""plan, lint, verify and new: the runner's dry run, its static review, drift, and scaffolding.

plan's output is replayed with psql and must leave the catalog migrate leaves; every lint
rule has a chain that triggers it and the closest one that does not.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import psycopg
import pytest

from roboco_sql import embedded
from roboco_sql.errors import MigrationError, ValidationError
from roboco_sql.migrate import load_chain, migrate
from roboco_sql.migrate.lint import Finding, lint_chain
from roboco_sql.migrate.plan import plan
from roboco_sql.migrate.runner import Options
from roboco_sql.migrate.scaffold import new_revision
from tests.conftest import run_cli
from tests.fix_catalog import diff, dump
from tests.fix_migrate import rows, write_chain

CHAIN = load_chain()


def _psql() -> str:
    """The embedded server's psql (same major as the server), else the one on PATH."""
    bundled = embedded.bin_dir() / "psql"
    if bundled.exists():
        return str(bundled)
    found = shutil.which("psql")
    if found is None:  # pragma: no cover
        pytest.fail("psql is needed to replay a plan")
    return found


def replay(url: str, script: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "plan.sql"
    path.write_text(script, encoding="utf-8")
    return subprocess.run(
        [_psql(), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-f", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# --- plan ---------------------------------------------------------------------------------


def test_plan_of_the_whole_chain_replays_to_what_migrate_builds(
    empty_url: str, db_url: str, tmp_path: Path
) -> None:
    result = run_cli("plan", "--database-url", empty_url)
    assert result.returncode == 0, result.stderr
    script = result.stdout
    assert f"plan: {len(CHAIN)} revisions from an empty database to {CHAIN.head}" in result.stderr
    # planning wrote nothing
    assert rows(empty_url, "SELECT to_regnamespace('roboco_sql'), to_regclass('tasks')") == [
        (None, None)
    ]
    # every revision, then the additions on by default, each in its own transaction
    on = [a for a in CHAIN.additions if a.default_on]
    assert script.count("\nBEGIN;\nSET LOCAL lock_timeout = '5s';\n") == len(CHAIN) + len(on)
    assert "-- addition task_graph_indexes (001_task_graph_indexes.sql)" in script
    assert "-- addition task_lookup_indexes (003_task_lookup_indexes.sql)" in script
    assert "CREATE TABLE IF NOT EXISTS roboco_sql.history" in script  # bookkeeping is missing
    assert (
        "UPDATE public.alembic_version SET version_num = '039_seed_grok_provider' "
        "WHERE version_num = '038_modelprovider_grok';"
    ) in script

    replayed = replay(empty_url, script, tmp_path)
    assert replayed.returncode == 0, replayed.stderr
    assert diff(dump(db_url), dump(empty_url)) == []
    history = "SELECT revision, parent, checksum, how FROM roboco_sql.history ORDER BY 1"
    assert rows(empty_url, history) == rows(db_url, history)
    assert rows(empty_url, "SELECT version_num FROM alembic_version") == [(CHAIN.head,)]
    assert migrate(empty_url, CHAIN).applied == []  # migrate agrees: nothing left to do
    again = run_cli("plan", "--database-url", empty_url)
    assert f"-- nothing to apply: the database is at {CHAIN.head}" in again.stdout


BOOKS = {
    "version": "SELECT version_num FROM alembic_version",
    "history": "SELECT revision, parent, checksum, how FROM roboco_sql.history ORDER BY 1",
    "reverted": "SELECT revision, parent, checksum, data_lost, was_how FROM roboco_sql.reverted "
    "ORDER BY id",
    "additions": "SELECT name, checksum, at_revision FROM roboco_sql.additions ORDER BY 1",
    "ours": "SELECT indexname FROM pg_indexes WHERE indexname LIKE 'rsql%' ORDER BY 1",
}


@pytest.mark.parametrize("target", ["068_tasks_constraints_column", "043_conventions_cache"])
def test_plan_going_back_replays_to_what_migrate_does(
    db_url: str, new_database: Any, tmp_path: Path, target: str
) -> None:
    """From head (with the default addition) back to 068 (the addition stays, re-applied
    there) or 043 (it leaves before the chain goes below 044): the script replayed with psql
    leaves the catalog and bookkeeping `migrate --to` leaves."""
    head = psycopg.conninfo.conninfo_to_dict(db_url)["dbname"]
    by_migrate = new_database(f"{head}_m", template=head)
    refused = run_cli("plan", "--to", target, "--database-url", db_url)
    assert refused.returncode == 5
    assert refused.stderr.startswith("error: refusing to go back past irreversible revisions (")
    result = run_cli("plan", "--to", target, "--allow-data-loss", "--database-url", db_url)
    assert result.returncode == 0, result.stderr
    back = CHAIN.position(CHAIN.head) - CHAIN.position(target)
    assert f"plan: back past {back} revisions from {CHAIN.head} to {target}" in result.stderr
    script = result.stdout
    assert script.count("\n-- the down section of 0") == back
    removes = "\n-- the down section of addition task_graph_indexes (001_task_graph_indexes.sql)"
    assert (removes in script) == (target < "044")
    assert rows(db_url, BOOKS["version"]) == [(CHAIN.head,)]  # planning ran nothing
    replayed = replay(db_url, script, tmp_path)
    assert replayed.returncode == 0, replayed.stderr
    done = run_cli("migrate", "--to", target, "--allow-data-loss", "--database-url", by_migrate)
    assert done.returncode == 0, done.stderr
    assert diff(dump(by_migrate), dump(db_url)) == []
    for name, query in BOOKS.items():
        assert rows(db_url, query) == rows(by_migrate, query), name
    assert rows(db_url, BOOKS["version"]) == [(target,)]


def test_plan_adopts_an_alembic_database_and_continues(
    empty_url: str, db_url: str, tmp_path: Path
) -> None:
    migrate(empty_url, CHAIN, "020_backfill_enum_values")
    with psycopg.connect(empty_url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA roboco_sql CASCADE")  # as RoboCo's Alembic leaves it
    result = plan(empty_url, CHAIN)
    assert result.current == "020_backfill_enum_values"
    assert result.revisions == [m.revision for m in CHAIN.between(result.current, None)]
    assert "-- adopt an Alembic-managed database at 020_backfill_enum_values" in result.sql
    assert rows(empty_url, "SELECT to_regnamespace('roboco_sql')") == [(None,)]
    replayed = replay(empty_url, result.sql, tmp_path)
    assert replayed.returncode == 0, replayed.stderr
    assert diff(dump(db_url), dump(empty_url)) == []
    hows = dict(rows(empty_url, "SELECT revision, how FROM roboco_sql.history"))
    assert hows["020_backfill_enum_values"] == "adopted" and hows[CHAIN.head] == "applied"


def test_plan_prints_each_transactional_part_as_migrate_sends_it(
    tmp_path: Path, empty_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One source: the text migrate sends for a transactional file (the file's part as it
    stands, comments and all, between the bookkeeping statements, guard and COMMIT included)
    is the plan's, line for line."""
    chain = load_chain(
        write_chain(
            tmp_path / "m",
            {
                "001_a.sql": "-- a table; and a comment\nCREATE TABLE a (x int);\n"
                "/* two */ INSERT INTO a VALUES (1);  -- trailing\n",
                "002_b.sql": "ALTER TABLE a ADD COLUMN y int",
            },
        )
    )
    script = plan(empty_url, chain, wanted=frozenset({"none"})).sql
    sent: list[str] = []

    class Spy(psycopg.ClientCursor[Any]):
        def execute(self, query: Any, *args: Any, **kwargs: Any) -> Any:
            sent.append(str(query))
            return super().execute(query, *args, **kwargs)

    with monkeypatch.context() as m:
        m.setattr(psycopg, "ClientCursor", Spy)
        migrate(empty_url, chain, options=Options(additions=frozenset({"none"})))

    assert len(sent) == 2
    for text, rev in zip(sent, ("001_a", "002_b"), strict=True):
        start = script.index("BEGIN;", script.index(f"-- {rev} ({rev}.sql): one transaction"))
        section = script[start : script.index("COMMIT;", start) + len("COMMIT;\n")]
        assert text == section
        assert chain[rev].body.rstrip() in text


def test_plan_of_a_half_done_non_transactional_file(
    tmp_path: Path, empty_url: str, new_database: Any
) -> None:
    chain_dir = write_chain(
        tmp_path / "m",
        {
            "001_t.sql": "CREATE TABLE t (a int, b int, c int);\n"
            "INSERT INTO t VALUES (1, 1, 1), (2, 1, 2);\n",
            "002_ix.sql": "-- transaction: none\n"
            "CREATE INDEX CONCURRENTLY ix_t_a ON t (a);\n"
            "CREATE UNIQUE INDEX CONCURRENTLY ux_t_b ON t (b);\n"
            "CREATE INDEX CONCURRENTLY ix_t_c ON t (c);\n",
            "003_more.sql": "ALTER TABLE t ADD COLUMN d int;\n",
        },
    )
    chain = load_chain(chain_dir)
    with pytest.raises(MigrationError, match="resumes at statement 2"):
        migrate(empty_url, chain)  # the unique build fails on the data, leaving it INVALID
    with psycopg.connect(empty_url, autocommit=True) as conn:
        conn.execute("UPDATE t SET b = 2 WHERE a = 2")
    script = plan(empty_url, chain).sql
    assert "-- 002_ix (002_ix.sql): transaction: none" in script
    assert "-- NOT one transaction: each statement below commits on its own" in script
    assert "-- statement 1 of 3 (002_ix.sql:4): already applied" in script
    assert "DROP INDEX CONCURRENTLY IF EXISTS ux_t_b;\nCREATE UNIQUE INDEX CONCURRENTLY" in script
    section = script[script.index("-- 002_ix (") : script.index("-- 003_more (")]
    assert section.count("INSERT INTO roboco_sql.progress") == 2
    assert "SET LOCAL" not in section and section.count("BEGIN;") == 1  # only the record
    replayed = replay(empty_url, script, tmp_path)
    assert replayed.returncode == 0, replayed.stderr

    fresh = new_database("i11_plan_fresh")
    migrate(fresh, chain, "001_t")
    with psycopg.connect(fresh, autocommit=True) as conn:
        conn.execute("UPDATE t SET b = 2 WHERE a = 2")
    migrate(fresh, chain)
    assert diff(dump(fresh), dump(empty_url)) == []
    assert rows(empty_url, "SELECT count(*) FROM roboco_sql.progress") == [(0,)]
    valid = "SELECT indisvalid FROM pg_index WHERE indexrelid = 'ux_t_b'::regclass"
    assert rows(empty_url, valid) == [(True,)]
    assert rows(empty_url, "SELECT version_num FROM alembic_version") == [("003_more",)]


# --- lint: every rule, triggered and not ----------------------------------------------------

BASE = (
    "CREATE TYPE e AS ENUM ('a', 'b');\n"
    "CREATE TABLE p (id int PRIMARY KEY);\n"
    "CREATE TABLE t (a int, b int, v e);\n"
)
NONE = "-- transaction: none\n"

# rule, the body of 002 that triggers it (and the line), the closest body that does not
CASES = [
    (
        "index-not-concurrent",
        "CREATE INDEX ix_t_a ON t (a);\n",
        3,
        "CREATE TABLE u (a int);\nCREATE INDEX ix_u_a ON u (a);\n",
    ),
    (
        "index-not-concurrent",
        "CREATE TABLE u (a int);\nCREATE UNIQUE INDEX ux_t_a ON public.t (a);\n",
        4,
        NONE + "CREATE UNIQUE INDEX CONCURRENTLY ux_t_a ON public.t (a);\n",
    ),
    (
        "add-column-not-null",
        "ALTER TABLE t\n    ADD COLUMN c int NOT NULL;\n",
        4,
        "ALTER TABLE t\n    ADD COLUMN c int NOT NULL DEFAULT 0;\n",
    ),
    (
        "constraint-not-valid",
        "ALTER TABLE t ADD CONSTRAINT ck_t_a CHECK (a > 0);\n",
        3,
        "ALTER TABLE t ADD CONSTRAINT ck_t_a CHECK (a > 0) NOT VALID;\n",
    ),
    (
        "constraint-not-valid",
        "ALTER TABLE t ADD CONSTRAINT fk_t_b FOREIGN KEY (b) REFERENCES p (id);\n",
        3,
        "ALTER TABLE t ADD CONSTRAINT fk_t_b FOREIGN KEY (b) REFERENCES p (id) NOT VALID;\n",
    ),
    (
        "constraint-not-valid",
        "ALTER TABLE t ADD COLUMN c int REFERENCES p (id);\n",
        3,
        "ALTER TABLE t ADD COLUMN c int;\n",
    ),
    (
        "alter-column-type",
        "ALTER TABLE t ALTER COLUMN a TYPE bigint;\n",
        3,
        "ALTER TABLE t ALTER COLUMN a SET DEFAULT 0;\n",
    ),
    (
        "set-not-null",
        "ALTER TABLE t ALTER COLUMN a SET NOT NULL;\n",
        3,
        "ALTER TABLE t ALTER COLUMN a DROP NOT NULL;\n",
    ),
    (
        "drop-column",
        "ALTER TABLE t DROP COLUMN IF EXISTS b;\n",
        3,
        "ALTER TABLE t ALTER COLUMN b DROP DEFAULT;\n",
    ),
    ("drop-table", "DROP TABLE IF EXISTS t;\n", 3, "CREATE TABLE u (x int);\nDROP TABLE u;\n"),
    (
        "rename-column",
        'ALTER TABLE t RENAME COLUMN b TO "B";\n',
        3,
        "ALTER TABLE p RENAME CONSTRAINT p_pkey TO pk_p;\n",
    ),
    (
        "rename-table",
        "ALTER TABLE t RENAME TO t_old;\n",
        3,
        "CREATE TABLE u (x int);\nALTER TABLE u RENAME TO u2;\nCREATE INDEX ix_u2 ON u2 (x);\n",
    ),
    (
        "enum-value-used",
        "ALTER TYPE e ADD VALUE 'c';\n\nINSERT INTO t (v) VALUES ('c');\n",
        5,
        NONE + "ALTER TYPE e ADD VALUE 'c';\nINSERT INTO t (v) VALUES ('c');\n",
    ),
    (
        "enum-value-used",
        "ALTER TYPE e ADD VALUE IF NOT EXISTS 'c';\nDO $$\nBEGIN\n"
        "    UPDATE t SET v = 'c';\nEND\n$$;\n",
        6,
        "ALTER TYPE e ADD VALUE IF NOT EXISTS 'c';\nDO $$\nBEGIN\n"
        "    UPDATE t SET v = 'b';\nEND\n$$;\n",
    ),
    (
        "concurrent-if-not-exists",
        NONE + "CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_t_a ON t (a);\n",
        4,
        NONE + "CREATE INDEX CONCURRENTLY ix_t_a ON t (a);\n",
    ),
    # inside DO blocks: static statements, and DDL that EXECUTE runs from a string
    (
        "set-not-null",
        "DO $$\nBEGIN\n    IF true THEN\n        ALTER TABLE t ALTER COLUMN a SET NOT NULL;\n"
        "    END IF;\nEND\n$$;\n",
        6,
        "DO $$\nBEGIN\n    IF true THEN\n        ALTER TABLE t ALTER COLUMN a DROP NOT NULL;\n"
        "    END IF;\nEND\n$$;\n",
    ),
    (
        "alter-column-type",
        "DO $$\nBEGIN\n    EXECUTE format('ALTER TABLE %I ALTER COLUMN a TYPE bigint', 't');\n"
        "END\n$$;\n",
        5,
        "DO $$\nBEGIN\n    EXECUTE format('ALTER TABLE %I ALTER COLUMN a SET DEFAULT 1', 't');\n"
        "END\n$$;\n",
    ),
]


def lint_body(tmp_path: Path, body: str) -> list[Finding]:
    chain = load_chain(write_chain(tmp_path / "m", {"001_base.sql": BASE, "002_x.sql": body}))
    findings = lint_chain(chain)
    assert all(f.file == "002_x.sql" for f in findings), findings  # the base is clean
    return findings


@pytest.mark.parametrize(
    ("rule", "bad", "line", "good"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_each_rule_triggers_and_its_closest_safe_form_does_not(
    tmp_path: Path, rule: str, bad: str, line: int, good: str
) -> None:
    found = lint_body(tmp_path / "bad", bad)
    assert [(f.rule, f.line) for f in found] == [(rule, line)], found
    assert found[0].fix and str(found[0]).startswith(f"002_x.sql:{line}: {rule}: ")
    assert lint_body(tmp_path / "good", good) == []


def test_dynamic_sql_findings_say_so(tmp_path: Path) -> None:
    (found,) = lint_body(tmp_path, CASES[-1][1])
    assert "ALTER COLUMN %I.a TYPE (dynamic SQL)" in found.message


# --- lint: opt-outs -------------------------------------------------------------------------

INDEX = "CREATE INDEX ix_t_a ON t (a);\n"


@pytest.mark.parametrize(
    "body",
    [
        "-- lint: allow index-not-concurrent t holds ten rows\n" + INDEX,
        "CREATE INDEX ix_t_a -- lint: allow index-not-concurrent t holds ten rows\n ON t (a);\n",
        "-- t is a lookup table\n-- lint: allow index-not-concurrent,drop-column ten rows\n"
        "CREATE INDEX ix_t_a ON t (a);\n",
        "-- lint: allow-file index-not-concurrent t holds ten rows\n\n"
        + INDEX
        + "CREATE INDEX ix_t_b ON t (b);\n",
        "DO $$\nBEGIN\n    -- lint: allow set-not-null no row has a NULL a\n"
        "    ALTER TABLE t ALTER COLUMN a SET NOT NULL;\nEND\n$$;\n",
    ],
    ids=["line-above", "first-line", "comment-block", "file", "inside-do"],
)
def test_opt_outs_with_a_reason_silence_their_finding(tmp_path: Path, body: str) -> None:
    assert lint_body(tmp_path, body) == []


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "-- lint: allow index-not-concurrent\n" + INDEX,
            [("index-not-concurrent", 4), ("opt-out", 3)],
        ),
        (
            "-- lint: allow-file index-not-concurrent\n" + INDEX,
            [("index-not-concurrent", 4), ("opt-out", 3)],
        ),
        (
            "-- lint: allow no-such-rule it is fine\n" + INDEX,
            [("index-not-concurrent", 4), ("opt-out", 3)],
        ),
        (
            "-- lint: permit index-not-concurrent fine\n" + INDEX,
            [("index-not-concurrent", 4), ("opt-out", 3)],
        ),
        (
            "CREATE TABLE u (x int);\n-- lint: allow-file index-not-concurrent ten rows\n" + INDEX,
            [("opt-out", 4), ("index-not-concurrent", 5)],
        ),
        (
            "-- lint: allow index-not-concurrent ten rows\n\n" + INDEX,
            [("opt-out", 3), ("index-not-concurrent", 5)],
        ),
        ("-- lint: allow drop-table nothing is dropped\nSELECT 1;\n", [("opt-out", 3)]),
    ],
    ids=[
        "no-reason",
        "file-no-reason",
        "unknown-rule",
        "unknown-directive",
        "file-misplaced",
        "not-adjacent",
        "unused",
    ],
)
def test_opt_outs_without_a_reason_or_out_of_place_are_findings(
    tmp_path: Path, body: str, expected: list[tuple[str, int]]
) -> None:
    findings = lint_body(tmp_path, body)
    assert sorted((f.rule, f.line) for f in findings) == sorted(expected), findings


def test_lint_cli_warns_strict_fails_and_the_shipped_chain_passes(tmp_path: Path) -> None:
    chain_dir = write_chain(tmp_path / "m", {"001_base.sql": BASE, "002_x.sql": INDEX})
    warned = run_cli("lint", "--migrations-dir", str(chain_dir))
    assert warned.returncode == 0
    assert warned.stdout.startswith("002_x.sql:3: index-not-concurrent: CREATE INDEX ix_t_a ")
    assert "; fix: build it with CREATE INDEX CONCURRENTLY" in warned.stdout
    assert warned.stdout.strip().endswith("1 finding in 1 file of 2")
    strict = run_cli("lint", "--strict", "--json", "--migrations-dir", str(chain_dir))
    assert strict.returncode == 1
    assert json.loads(strict.stdout)["findings"][0]["rule"] == "index-not-concurrent"
    shipped = run_cli("lint", "--strict")
    assert shipped.returncode == 0, shipped.stdout
    last = shipped.stdout.strip().splitlines()[-1]
    assert last.startswith(f"no findings in {len(CHAIN)} files"), last


def test_lint_reads_down_sections_as_notes(tmp_path: Path) -> None:
    """A down section is linted (lines are the file's) but its lock findings only inform:
    `--strict` fails on them only for a misused opt-out. Dropping what the up part added
    is no finding there."""
    down = (
        "CREATE TABLE u (a int);\n\n-- down\nDROP TABLE u;\n"
        "ALTER TABLE t ALTER COLUMN a TYPE bigint;\n"
    )
    chain_dir = write_chain(tmp_path / "m", {"001_base.sql": BASE, "002_x.sql": down})
    noted = run_cli("lint", "--strict", "--json", "--migrations-dir", str(chain_dir))
    assert noted.returncode == 0, noted.stdout
    findings = json.loads(noted.stdout)["findings"]
    assert [(f["line"], f["rule"], f["down"]) for f in findings] == [(7, "alter-column-type", True)]
    bad = down.replace("DROP TABLE u;", "-- lint: allow drop-table\nDROP TABLE u;")
    chain_dir = write_chain(tmp_path / "n", {"001_base.sql": BASE, "002_x.sql": bad})
    failed = run_cli("lint", "--strict", "--migrations-dir", str(chain_dir))
    assert failed.returncode == 1
    assert "002_x.sql:6: opt-out: opt-out of drop-table gives no reason" in failed.stdout


# --- verify and status: drift ---------------------------------------------------------------


def test_hand_made_changes_are_drift_for_verify_and_status(db_url: str) -> None:
    clean = run_cli("verify", "--database-url", db_url)
    assert clean.returncode == 0, clean.stderr
    assert clean.stdout.strip() == f"no drift: the schema is exactly {CHAIN.head}'s"
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("ALTER TABLE pitches ADD COLUMN by_hand text")
        conn.execute("DROP INDEX ix_tasks_status")
        conn.execute("ALTER TABLE projects ALTER COLUMN default_branch SET DEFAULT 'main'")
    drift = run_cli("verify", "--database-url", db_url)
    assert drift.returncode == 8, drift.stderr
    lines = drift.stdout.strip().splitlines()
    assert lines[0] == f"drift at {CHAIN.head}: 3 differences from the schema the chain builds"
    assert lines[1:] == [
        "  extra column pitches.by_hand: text",
        "  changed column projects.default_branch: the chain builds [character varying(100) "
        "not null default 'master'::character varying], the database has [character "
        "varying(100) not null default 'main'::character varying]",
        "  missing index ix_tasks_status: CREATE INDEX ix_tasks_status ON public.tasks USING "
        "btree (status)",
    ]
    st = run_cli("status", "--database-url", db_url)
    assert st.returncode == 8
    assert st.stdout.strip() == (
        f"at head ({CHAIN.head}); schema drift: 3 differences from {CHAIN.head} "
        "(`verify` lists them)"
    )
    data = json.loads(run_cli("status", "--json", "--database-url", db_url).stdout)
    assert data["exit_code"] == 8 and len(data["drift"]) == 3


def test_verify_needs_a_recorded_revision(empty_url: str) -> None:
    result = run_cli("verify", "--database-url", empty_url)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "error: the database records no revision; nothing to verify against"
    )


# --- new ------------------------------------------------------------------------------------


def test_new_writes_the_next_file_and_refuses_long_or_odd_names(tmp_path: Path) -> None:
    chain_dir = write_chain(tmp_path / "m", {"001_a.sql": "SELECT 1;\n", "002_b.sql": ""})
    path = new_revision(chain_dir, "add_widgets")
    assert path == chain_dir / "003_add_widgets.sql"
    assert path.read_text().splitlines()[:2] == [
        "-- revision: 003_add_widgets",
        "-- down_revision: 002_b",
    ]
    assert load_chain(chain_dir).head == "003_add_widgets"
    assert load_chain(chain_dir)["003_add_widgets"].has_down  # a place for the way back

    longest = "x" * 28  # 004_ + 28 = 32 characters
    result = run_cli("new", "--migrations-dir", str(chain_dir), longest + "y")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"error: revision id '004_{longest}y' would be 33 characters; the version column holds "
        "at most 32, so the name may have at most 28"
    ]
    with pytest.raises(ValidationError, match="may use only a-z, 0-9 and _"):
        new_revision(chain_dir, "Add-Widgets")
    assert sorted(p.name for p in chain_dir.iterdir()) == [
        "001_a.sql",
        "002_b.sql",
        "003_add_widgets.sql",
    ]
    ok = run_cli("new", "--migrations-dir", str(chain_dir), longest)
    assert ok.returncode == 0 and ok.stdout.strip() == f"wrote {chain_dir}/004_{longest}.sql"
    assert len(load_chain(chain_dir).head or "") == 32
