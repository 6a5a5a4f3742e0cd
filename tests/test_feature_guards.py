"""Features that other tests exercised without noticing their absence (issue 19, item 5).

Each test here fails when its feature is removed (checked by removing it once by hand):
- SKIP LOCKED in the claim queries: a claim passes over a row another transaction holds at
  once (a short lock_timeout turns any waiting into an error);
- the linear-chain guards of the runner's bookkeeping: the database refuses a second history
  row with the same parent (a fork, or a second base), and the version writes never add a
  second alembic_version row nor move it from a revision it is not at;
- the stamp tie-break: a version-less database whose schema several revisions leave alike is
  recognised as the EARLIEST of them, so the later ones run again rather than being skipped;
- the server-log checks of the concurrency tests actually see errors in the log.
"""

from __future__ import annotations

import itertools
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import AsyncConnection

from roboco_sql.errors import Conflict, MigrationError
from roboco_sql.migrate import bookkeeping, load_chain, migrate
from roboco_sql.migrate.fingerprint import Fingerprints, closest, load
from roboco_sql.models.enums import AgentRole, Team
from roboco_sql.repos import claims
from tests.fix_migrate import write_chain
from tests.fix_tasks import World, make, member, seed_agent, seed_project
from tests.test_reliability import log_errors, log_offset

Conn = AsyncConnection[Any]
CHAIN = load_chain()
REVISIONS = [m.revision for m in CHAIN]

# -- SKIP LOCKED -------------------------------------------------------------------------------


@pytest.fixture
async def world(conn: Conn) -> World:
    """A backend project and its developer (test_task_flow's rows, fewer of them)."""
    creator = await seed_agent(conn, AgentRole.MAIN_PM, Team.MAIN_PM)
    dev = await member(conn, AgentRole.DEVELOPER, Team.BACKEND)
    project = await seed_project(conn, creator)
    await conn.commit()
    return World(creator, project, {AgentRole.DEVELOPER: dev})


async def test_a_claim_passes_over_a_row_another_transaction_holds(
    conn: Conn, db_url: str, world: World
) -> None:
    dev = world.agents[AgentRole.DEVELOPER]
    head = await make(conn, world, priority=0)  # the queue's first task
    behind = await make(conn, world, priority=2)
    await conn.commit()
    async with await AsyncConnection.connect(db_url) as holder:
        await holder.execute("SELECT 1 FROM tasks WHERE id = %s FOR UPDATE", (head,))
        await conn.execute("SET lock_timeout = '500ms'")  # waiting would be an error
        started = time.monotonic()
        got = await claims.claim_next(conn, dev)
        assert time.monotonic() - started < 0.5
        assert got is not None and got.id == behind
        with pytest.raises(Conflict, match="locked by another writer"):
            await claims.claim(conn, head, dev)  # by id: refused at once, not waited for
        await conn.commit()
        await holder.rollback()
    again = await claims.claim(conn, head, dev)  # the lock was the only reason
    assert again.id == head and again.assigned_to == dev.id


# -- the bookkeeping's linear chain ------------------------------------------------------------

_HISTORY = (
    "INSERT INTO roboco_sql.history (revision, parent, checksum, how, applied_by) "
    "VALUES (%s, %s, repeat('0', 64), 'applied', 'test')"
)


@pytest.mark.parametrize("parent", [REVISIONS[-2], None], ids=["fork", "second-base"])
def test_history_refuses_two_children_of_one_parent(db_url: str, parent: str | None) -> None:
    """A second child of a recorded revision, or a second base (NULLS NOT DISTINCT)."""
    with (
        psycopg.connect(db_url) as c,
        pytest.raises(psycopg.errors.UniqueViolation, match="parent"),
    ):
        c.execute(_HISTORY, (f"zz_{uuid.uuid4().hex[:8]}", parent))


def test_version_writes_never_add_a_row_nor_move_from_elsewhere(db_url: str) -> None:
    base, middle = CHAIN[REVISIONS[0]], CHAIN[REVISIONS[10]]
    with psycopg.connect(db_url) as c:
        assert bookkeeping.version_write(base).run(c).rowcount == 0  # a row is there already
        assert bookkeeping.version_write(middle).run(c).rowcount == 0  # not at its parent
        assert bookkeeping.version_back(middle).run(c).rowcount == 0  # not at middle
        rows = c.execute("SELECT version_num FROM public.alembic_version").fetchall()
    assert rows == [(CHAIN.head,)]


@pytest.mark.parametrize(
    ("files", "refused"),
    [
        # a base revision that writes a version of its own: the runner's insert adds nothing
        ({"001_a.sql": "INSERT INTO public.alembic_version VALUES ('001_elsewhere');\n"}, "001_a"),
        # a revision that moves the version away: the runner's update finds nothing to move
        (
            {
                "001_a.sql": "CREATE TABLE a (x int);\n",
                "002_b.sql": "UPDATE public.alembic_version SET version_num = '001_elsewhere';\n",
            },
            "002_b",
        ),
    ],
    ids=["second-row", "moved"],
)
def test_the_runner_refuses_a_version_that_moved_under_it(
    empty_url: str, tmp_path: Path, files: dict[str, str], refused: str
) -> None:
    chain = load_chain(write_chain(tmp_path / "chain", files))
    with pytest.raises(MigrationError, match=f"moved under us while applying {refused}"):
        migrate(empty_url, chain)
    with psycopg.connect(empty_url) as c:
        versions = c.execute("SELECT version_num FROM public.alembic_version").fetchall()
        recorded = c.execute("SELECT revision FROM roboco_sql.history ORDER BY 1").fetchall()
    applied = [(r,) for r in list(files)[:-1]]
    expected_version = [(applied[-1][0].removesuffix(".sql"),)] if applied else []
    assert versions == expected_version  # the refused revision rolled back whole
    assert recorded == [(r.removesuffix(".sql"),) for (r,) in applied]


# -- the stamp tie-break -----------------------------------------------------------------------


def test_closest_breaks_ties_towards_the_earliest_revision() -> None:
    x, y, z = frozenset({"table x"}), frozenset({"table y"}), frozenset({"table z"})
    prints = Fingerprints.from_steps(
        [("001_a", x), ("002_b", x | y), ("003_c", x | y), ("004_d", x | y), ("005_e", x | y | z)]
    )
    assert closest(x | y, prints).revision == "002_b"
    near = closest(x | y | frozenset({"table w"}), prints)  # no exact match: nearest, earliest
    assert (near.revision, near.closest, near.extra) == (None, "002_b", ["table w"])


def test_the_shipped_ties_resolve_to_their_earliest_revision() -> None:
    prints = load(CHAIN.directory)
    assert prints is not None
    revisions = list(prints.revisions)
    # the later members of each run of alike revisions (the README lists them)
    tied = [
        (later, earlier)
        for earlier, later in itertools.pairwise(revisions)
        if prints.revisions[earlier] == prints.revisions[later]
    ]
    assert len(tied) >= 5, tied
    for later, earlier in tied:
        first = next(r for r in revisions if prints.revisions[r] == prints.revisions[earlier])
        assert closest(prints.revisions[later], prints).revision == first, later


def test_a_versionless_database_is_stamped_at_the_earliest_tie_and_the_rest_rerun(
    empty_url: str,
) -> None:
    """Built to 008 (whose schema 007 leaves too), its bookkeeping lost: migrate stamps 007
    and applies 008 again, rather than stamping 008 and running nothing."""
    early, late = "007_gateway_triggers_table", "008_align_skills"
    prints = load(CHAIN.directory)
    assert prints is not None and prints.revisions[early] == prints.revisions[late]
    migrate(empty_url, CHAIN, late)
    with psycopg.connect(empty_url, autocommit=True) as c:
        c.execute("DROP TABLE public.alembic_version")
        c.execute("DROP SCHEMA roboco_sql CASCADE")
    report = migrate(empty_url, CHAIN, late)
    assert report.stamped == early
    assert [a.revision for a in report.applied] == [late]
    with psycopg.connect(empty_url) as c:
        rows = c.execute("SELECT revision, how FROM roboco_sql.history ORDER BY 1").fetchall()
    assert rows == [(early, "stamped"), (late, "applied")]


# -- the server log is really read ------------------------------------------------------------


def test_the_server_log_checks_see_an_error(db_url: str, server_log: Path | None) -> None:
    """log_errors (test_reliability, test_runner) finds a duplicate key the test causes."""
    offset = log_offset(server_log)
    with psycopg.connect(db_url, autocommit=True) as c:
        c.execute("CREATE TABLE log_probe (id int PRIMARY KEY)")
        c.execute("INSERT INTO log_probe VALUES (1)")
        with pytest.raises(psycopg.errors.UniqueViolation):
            c.execute("INSERT INTO log_probe VALUES (1)")
    deadline = time.monotonic() + 5
    while not (found := log_errors(server_log, offset)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert any("duplicate key" in line and "log_probe" in line for line in found), found
