"""The demo day as a test: run it, then check the end state from the database's side.

Every task of the day is terminal; every status change is an edge of the lifecycle taken by a
role its gate admits, with exactly one audit row each (the rows chain from the task's first
status to its last, so no claim was taken twice); notifications are acknowledged by every
recipient; tokens read back under the key and appear in plaintext nowhere in the database; the
row counts are the ones planned. Days run again on the same database, under another key, and on
Debian's PostgreSQL 15 without pgvector.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import uuid
from collections import Counter, defaultdict
from typing import Any

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo
from psycopg.rows import dict_row

from roboco_sql import bootstrap, demo
from roboco_sql.config import Settings
from roboco_sql.crypto import SecretBox, generate_key
from roboco_sql.errors import RobocoSQLError
from roboco_sql.lifecycle import EDGES, TERMINAL
from roboco_sql.models.enums import (
    AgentRole,
    Complexity,
    TaskStatus,
)
from roboco_sql.models.product import ProductCreate
from roboco_sql.repos import agents, products, projects, tasks
from tests.conftest import run_cli
from tests.test_repo_tasks import task_input

S = TaskStatus


def _settings(key: str) -> Settings:
    # small embeddings keep the HNSW inserts cheap; the demo embeds to whatever width is set
    return Settings.from_env({"ROBOCO_ENCRYPTION_KEY": key, "ROBOCO_EMBEDDING_DIMENSIONS": "64"})


def _rows(url: str, query: str, *params: Any) -> list[dict[str, Any]]:
    with psycopg.connect(url, row_factory=dict_row) as conn:
        return conn.execute(query, params).fetchall()


def check_day(url: str, data: dict[str, Any]) -> None:
    """The end state of the day ``data`` (a report's as_dict(), or the CLI's --json) reports."""
    day, planned, counts = data["day"], data["planned"], data["counts"]
    ids = [uuid.UUID(str(i)) for i in data["task_ids"]]
    since = data["started_at"]
    if isinstance(since, str):
        since = dt.datetime.fromisoformat(since)
    project_ids = [uuid.UUID(str(p)) for p in data["project_ids"].values()]
    product_id = uuid.UUID(str(data["product"]["id"]))

    # every task of the day, and only those, terminal; as many as planned
    rows = _rows(
        url,
        "SELECT id, status FROM tasks WHERE project_id = ANY(%s) OR product_id = %s",
        project_ids,
        product_id,
    )
    assert {r["id"] for r in rows} == set(ids)
    final = {r["id"]: S(r["status"]) for r in rows}
    assert all(s in TERMINAL for s in final.values()), Counter(final.values())
    by_status = Counter(s.value for s in final.values())
    assert len(ids) == planned["tasks"]
    assert by_status == {"completed": planned["completed"], "cancelled": planned["cancelled"]}
    assert by_status == data["tasks_by_status"]

    # every status change an allowed edge, by a role its gate admits, audited once
    audit = _rows(
        url,
        "SELECT target_id, agent_id, details, timestamp FROM audit_log"
        " WHERE target_type = 'task' AND target_id = ANY(%s) ORDER BY timestamp, id",
        ids,
    )
    chains: dict[uuid.UUID, list[tuple[S, S]]] = defaultdict(list)
    roles: Counter[str] = Counter()
    for row in audit:
        d = row["details"]
        src, dst, role = S(d["from_status"]), S(d["to_status"]), AgentRole(d["agent_role"])
        edge = EDGES.get((src, dst))
        assert edge is not None, f"{src} -> {dst} is no lifecycle edge"
        assert edge.roles is None or role in edge.roles, f"{role} may not take {src} -> {dst}"
        assert row["agent_id"] is not None  # every move was an agent's, none the system's
        chains[row["target_id"]].append((src, dst))
        roles[f"{dst}:{role}"] += 1
    assert len(audit) == counts["transitions"] == planned["transitions"]
    for task_id, chain in chains.items():
        assert chain[0][0] in (S.PENDING, S.BACKLOG)
        for (_, before), (after, _) in itertools.pairwise(chain):
            assert before == after, f"task {task_id}: audit chain breaks at {before} -> {after}"
        assert chain[-1][1] == final[task_id]
    assert set(chains) == set(ids)  # every task moved at least once

    # no claim taken twice: claims chain as above, and work sessions never overlap
    claims = sum(1 for c in chains.values() for _, dst in c if dst is S.CLAIMED)
    assert claims == counts["claims"]
    sessions = _rows(
        url,
        "SELECT task_id, status, started_at, ended_at, pr_status FROM work_sessions"
        " WHERE project_id = ANY(%s) ORDER BY task_id, started_at",
        project_ids,
    )
    assert len(sessions) == counts["work_sessions"]
    assert all(s["status"] != "active" for s in sessions)
    for a, b in itertools.pairwise(sessions):
        if a["task_id"] == b["task_id"]:
            assert a["ended_at"] <= b["started_at"]
    assert sum(s["pr_status"] == "merged" for s in sessions) == counts["merges"]

    # the planned story: revisions, escalations, releases, blocks
    for kind in ("revisions", "escalations", "releases", "blocks"):
        assert counts[kind] == planned[kind], kind
    assert counts["unblocks"] == counts["blocks"]
    assert roles[f"{S.AWAITING_CEO_APPROVAL}:{AgentRole.MAIN_PM}"] == planned["escalations"]
    assert roles[f"{S.COMPLETED}:{AgentRole.CEO}"] == planned["escalations"]

    # notifications: every recipient acknowledged
    notes = _rows(
        url,
        "SELECT to_agents, acked_by, acked_at, requires_ack FROM notifications"
        " WHERE timestamp >= %s",
        since,
    )
    assert len(notes) == counts["notifications"]
    assert all(n["requires_ack"] for n in notes)
    for n in notes:
        assert set(n["acked_by"]) == set(n["to_agents"])
        assert set(n["acked_at"]) == {str(a) for a in n["to_agents"]}
    assert sum(len(n["to_agents"]) for n in notes) == counts["notified"]
    # the inboxes were emptied: today's, and whatever an earlier (interrupted) day left
    assert counts["acks"] >= counts["notified"]
    [left] = _rows(url, "SELECT count(*) AS n FROM notifications WHERE NOT to_agents <@ acked_by")
    assert left["n"] == 0

    # A2A messages (RoboCo's only agent-to-agent channel past 060), in conversations all
    # closed at the end of the day; no messaging table at head
    [m] = _rows(url, "SELECT count(*) AS n FROM a2a_messages WHERE created_at >= %s", since)
    assert m["n"] == counts["messages"] > 0
    talks = _rows(
        url,
        "SELECT c.status::text AS status, c.message_count, count(m.id) AS n FROM"
        " a2a_conversations c JOIN a2a_messages m ON m.conversation_id = c.id"
        " WHERE c.created_at >= %s GROUP BY c.id",
        since,
    )
    assert len(talks) == counts["conversations"] > 0
    assert all(t["status"] == "closed" and t["message_count"] == t["n"] for t in talks)
    [gone] = _rows(
        url,
        "SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public' AND tablename = ANY(%s)",
        ["channels", "groups", "sessions", "session_tasks", "messages"],
    )
    assert gone["n"] == 0
    # journals, the board's decisions
    [j] = _rows(url, "SELECT count(*) AS n FROM journal_entries WHERE created_at >= %s", since)
    assert j["n"] == counts["journal_entries"]
    [pitch] = _rows(url, "SELECT * FROM pitches WHERE slug = %s", f"{demo.DEMO_PREFIX}{day}")
    assert pitch["status"] == "provisioned"
    assert pitch["provisioned_product_id"] == product_id
    assert sorted(pitch["provisioned_project_ids"]) == sorted(map(str, project_ids))
    cells = _rows(url, "SELECT team FROM product_projects WHERE product_id = %s", product_id)
    assert sorted(c["team"] for c in cells) == ["backend", "frontend", "ux_ui"]
    if data["rag"]["enabled"]:
        chunks = _rows(
            url,
            "SELECT (SELECT count(*) FROM chunks_journals WHERE (metadata->>'day')::int = %s)"
            " + (SELECT count(*) FROM chunks_learnings WHERE (metadata->>'day')::int = %s)"
            " AS n",
            day,
            day,
        )
        assert chunks[0]["n"] == counts["chunks"] == counts["journal_entries"]
        assert all(hit["hits"] > 0 for hit in data["mentor"])


async def check_tokens(url: str, report: demo.DayReport, key: str) -> None:
    """Today's tokens open under the key, and their plaintext is stored nowhere."""
    plaintexts = [t.get_secret_value() for t in report.tokens.values()]
    assert len(plaintexts) == 3
    box = SecretBox(key)
    async with await psycopg.AsyncConnection.connect(url) as aconn:
        read = [
            await projects.read_git_token(aconn, p, box=box) for p in report.project_ids.values()
        ]
    assert sorted(r.get_secret_value() for r in read if r is not None) == sorted(plaintexts)

    with psycopg.connect(url) as conn:
        stored = conn.execute(
            "SELECT git_token_encrypted FROM projects WHERE id = ANY(%s)",
            [list(report.project_ids.values())],
        ).fetchall()
        assert all(c.startswith("gAAAAA") for (c,) in stored)  # Fernet tokens
        columns = conn.execute(
            "SELECT c.table_name, c.column_name FROM information_schema.columns AS c"
            " JOIN information_schema.tables AS t USING (table_schema, table_name)"
            " WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'"
            " AND c.data_type IN ('text', 'character varying', 'json', 'jsonb', 'ARRAY')"
        ).fetchall()
        assert ("projects", "git_token_encrypted") in columns
        assert ("provider_configs", "auth_token_encrypted") in columns
        for table, column in columns:
            query = sql.SQL("SELECT count(*) FROM {} WHERE {}::text LIKE ANY(%s)").format(
                sql.Identifier(table), sql.Identifier(column)
            )
            row = conn.execute(query, [[f"%{p}%" for p in plaintexts]]).fetchone()
            assert row == (0,), f"a plaintext token is stored in {table}.{column}"


async def test_days_on_a_fresh_database(empty_url: str) -> None:
    first, second = generate_key(), generate_key()

    one = await demo.run_day(empty_url, settings=_settings(first))
    assert (one.day, one.key, one.rag_enabled) == (1, "ROBOCO_ENCRYPTION_KEY", True)
    assert one.earlier_tokens_readable == one.earlier_tokens_unreadable == 0
    check_day(empty_url, one.as_dict())
    assert one.counts["acks"] == one.counts["notified"]
    await check_tokens(empty_url, one, first)
    assert one.lines()[0].startswith("RoboCo, day 1 (scale 1) on PostgreSQL")

    # a second day on the same database under another key: new slugs, old tokens reported
    two = await demo.run_day(empty_url, settings=_settings(second))
    assert two.day == 2
    assert (two.earlier_tokens_readable, two.earlier_tokens_unreadable) == (0, 3)
    notes = [n for name, _, _, ns in two.phases if name == "board" for n in ns]
    assert any("3 token(s) do NOT open with today's key" in n for n in notes)
    check_day(empty_url, two.as_dict())
    await check_tokens(empty_url, two, second)

    # a third, with both keys (newest first): every earlier token opens; scale 2
    three = await demo.run_day(empty_url, scale=2, settings=_settings(f"{second},{first}"))
    assert (three.day, three.earlier_tokens_readable, three.earlier_tokens_unreadable) == (3, 6, 0)
    assert three.planned["tasks"] == 2 * one.planned["tasks"]
    check_day(empty_url, three.as_dict())
    await check_tokens(empty_url, three, f"{second},{first}")


async def test_an_ephemeral_key_is_announced(db_url: str) -> None:
    report = await demo.run_day(
        db_url, settings=Settings.from_env({"ROBOCO_EMBEDDING_DIMENSIONS": "64"})
    )
    assert report.key == "ephemeral"
    notes = [n for name, _, _, ns in report.phases if name == "board" for n in ns]
    assert any("ROBOCO_ENCRYPTION_KEY is unset" in n for n in notes)
    check_day(db_url, report.as_dict())


async def test_an_interrupted_day_is_closed_the_next_day(db_url: str) -> None:
    key = generate_key()
    with pytest.raises(RobocoSQLError, match="did not finish in 0 s"):
        await demo.run_day(db_url, settings=_settings(key), timeout=0)
    report = await demo.run_day(db_url, settings=_settings(key))
    assert report.day == 2
    assert report.interrupted_tasks_cancelled > 0
    check_day(db_url, report.as_dict())
    [row] = _rows(
        db_url,
        "SELECT count(*) AS n FROM tasks WHERE status NOT IN ('completed', 'cancelled')",
    )
    assert row["n"] == 0


async def test_open_work_of_others_is_refused(db_url: str) -> None:
    async with await psycopg.AsyncConnection.connect(db_url) as conn:
        await bootstrap.seed(conn)
        main = await agents.get_agent_by_slug(conn, "main-pm")
        assert main is not None
        product = await products.create_product(
            conn, ProductCreate(name="Real work", slug="real-work", created_by=main.id)
        )
        await tasks.create_task(
            conn,
            task_input(  # a backend code task
                main.id,
                title="Real work in flight",
                description="Someone else's task, not the demo's.",
                acceptance_criteria=["done"],
                estimated_complexity=Complexity.LOW,
                product_id=product.product.id,
            ),
        )
        await conn.commit()
    result = run_cli("demo", "--database-url", db_url)
    assert result.returncode == 1, result.stderr
    assert "open task(s) the demo did not make" in result.stderr
    assert "Traceback" not in result.stderr


def test_pg15_without_pgvector(pg15_url: str) -> None:
    name = "demo_pg15"
    with psycopg.connect(pg15_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = make_conninfo(pg15_url, dbname=name)
    key = generate_key()
    result = run_cli("demo", "--database-url", url, "--json", env={"ROBOCO_ENCRYPTION_KEY": key})
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["server"].startswith("PostgreSQL 15.")
    assert data["rag"]["enabled"] is False
    boot_notes = next(p["notes"] for p in data["phases"] if p["phase"] == "boot")
    assert any(n.startswith("RAG is off") for n in boot_notes)
    assert data["counts"].get("chunks", 0) == 0 and data["mentor"] == []
    check_day(url, data)
    [row] = _rows(url, "SELECT count(*) AS n FROM projects WHERE git_token_encrypted IS NOT NULL")
    assert row["n"] == 3
    box = SecretBox(key)
    for token in _rows(url, "SELECT git_token_encrypted AS t FROM projects"):
        assert box.decrypt(token["t"], what="token").get_secret_value().startswith("ghp_demo")
