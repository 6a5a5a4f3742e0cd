"""roboco_sql.repos.playbooks against a real database: draft, edit, approve/index, retire."""

from __future__ import annotations

import uuid
from typing import Any

import pydantic
import pytest
from psycopg import AsyncConnection

from roboco_sql.errors import Conflict, NotFound, ValidationError
from roboco_sql.models.playbook import PlaybookCreate, PlaybookStatus, PlaybookUpdate
from roboco_sql.repos import playbooks

Conn = AsyncConnection[Any]
AUDITOR = uuid.UUID("00000000-0000-0000-0000-00000000a0d1")  # no FK on playbooks
DEV = uuid.UUID("00000000-0000-0000-0000-00000000de01")


def draft(title: str, **kw: Any) -> PlaybookCreate:
    fields: dict[str, Any] = {
        "title": title,
        "problem": "flaky migrations in CI",
        "procedure": "1. lock\n2. migrate\n3. unlock",
        "created_by": DEV,
        **kw,
    }
    return PlaybookCreate.model_validate(fields)


async def test_draft_derives_slug_and_reads_back(conn: Conn) -> None:
    source = uuid.uuid4()
    data = draft("Fix: Flaky  Migrations!", tags=["ci", "db"], source_task_ids=[source])
    pb = await playbooks.draft_playbook(conn, data)
    assert pb.slug == "fix-flaky-migrations"
    assert pb.status == PlaybookStatus.DRAFT
    assert pb.scope == "org" and pb.tags == ["ci", "db"]
    assert pb.source_task_ids == [str(source)]
    assert pb.indexed_ok is False and pb.approved_by is None and pb.source_program is None
    assert await playbooks.get_playbook(conn, pb.id) == pb
    assert await playbooks.get_playbook_by_slug(conn, pb.slug) == pb
    assert await playbooks.get_playbook(conn, uuid.uuid4()) is None
    cur = await conn.execute("SELECT pg_typeof(tags)::text FROM playbooks WHERE id = %s", (pb.id,))
    assert await cur.fetchone() == ("json",)


async def test_same_title_twice_is_a_conflict(conn: Conn) -> None:
    await playbooks.draft_playbook(conn, draft("Rotate keys"))
    with pytest.raises(Conflict, match="slug=rotate-keys"):
        await playbooks.draft_playbook(conn, draft("rotate KEYS"))


async def test_bad_input_is_refused_before_sql(conn: Conn) -> None:
    with pytest.raises(pydantic.ValidationError):
        draft("")
    for bad in ({"problem": ""}, {"team": "x" * 21}, {"slug": "Not A Slug"}):
        with pytest.raises(pydantic.ValidationError):
            draft("Ok", **bad)
    with pytest.raises(ValidationError, match="limit"):
        await playbooks.list_playbooks(conn, limit=0)


async def test_list_by_status_team_scope_oldest_first_with_keyset(conn: Conn) -> None:
    a = await playbooks.draft_playbook(conn, draft("A", team="backend"))
    b = await playbooks.draft_playbook(conn, draft("B", team="frontend", scope="team"))
    c = await playbooks.draft_playbook(conn, draft("C", team="backend"))
    await playbooks.approve_playbook(conn, c.id, approved_by=AUDITOR)
    drafts = await playbooks.list_playbooks(conn, status=PlaybookStatus.DRAFT)
    assert [p.slug for p in drafts] == ["a", "b"]
    assert [p.slug for p in await playbooks.list_playbooks(conn, team="backend")] == ["a", "c"]
    assert [p.slug for p in await playbooks.list_playbooks(conn, scope="team")] == ["b"]
    page = await playbooks.list_playbooks(conn, limit=1)
    assert [p.id for p in page] == [a.id]
    nxt = await playbooks.list_playbooks(conn, after=page[0], limit=5)
    assert [p.id for p in nxt] == [b.id, c.id]


async def test_update_writes_only_given_fields(conn: Conn) -> None:
    pb = await playbooks.draft_playbook(conn, draft("Edit me", team="backend"))
    out = await playbooks.update_playbook(
        conn, pb.id, PlaybookUpdate(procedure="just do it", tags=["x"], team=None)
    )
    assert out.procedure == "just do it" and out.tags == ["x"] and out.team is None
    assert out.title == "Edit me" and out.problem == pb.problem
    with pytest.raises(NotFound):
        await playbooks.update_playbook(conn, uuid.uuid4(), PlaybookUpdate(title="t"))


async def test_approve_then_index_and_retry_only_while_unindexed(conn: Conn) -> None:
    pb = await playbooks.draft_playbook(conn, draft("Approve me"))
    ok = await playbooks.approve_playbook(conn, pb.id, approved_by=AUDITOR)
    assert ok.status == PlaybookStatus.APPROVED and ok.approved_by == AUDITOR
    assert ok.approved_at is not None and ok.indexed_ok is False
    assert [p.id for p in await playbooks.list_unindexed_approved_playbooks(conn)] == [pb.id]
    again = await playbooks.approve_playbook(conn, pb.id, approved_by=DEV)  # the retry
    assert again.approved_by == AUDITOR and again.approved_at == ok.approved_at
    indexed = await playbooks.mark_playbook_indexed(conn, pb.id)
    assert indexed.indexed_ok is True and indexed.indexed_at is not None
    assert await playbooks.list_unindexed_approved_playbooks(conn) == []
    with pytest.raises(Conflict, match="approved and indexed"):
        await playbooks.approve_playbook(conn, pb.id, approved_by=AUDITOR)
    with pytest.raises(NotFound):
        await playbooks.approve_playbook(conn, uuid.uuid4(), approved_by=AUDITOR)


async def test_reject_draft_and_archive_approved_are_final(conn: Conn) -> None:
    d = await playbooks.draft_playbook(conn, draft("Reject me"))
    a = await playbooks.draft_playbook(conn, draft("Archive me"))
    with pytest.raises(Conflict, match="only an approved"):
        await playbooks.archive_playbook(conn, d.id, archived_by=AUDITOR)
    rejected = await playbooks.reject_playbook(conn, d.id, rejected_by=AUDITOR)
    assert rejected.status == PlaybookStatus.ARCHIVED and rejected.archived_by == AUDITOR
    assert rejected.approved_by is None and rejected.archived_at is not None
    await playbooks.approve_playbook(conn, a.id, approved_by=AUDITOR)
    with pytest.raises(Conflict, match="only a draft"):
        await playbooks.reject_playbook(conn, a.id, rejected_by=AUDITOR)
    archived = await playbooks.archive_playbook(conn, a.id, archived_by=DEV)
    assert archived.approved_by == AUDITOR and archived.archived_by == DEV
    for retire in (playbooks.reject_playbook, playbooks.archive_playbook):
        with pytest.raises(Conflict, match="is archived"):
            await retire(
                conn,
                a.id,
                **{
                    "rejected_by" if retire is playbooks.reject_playbook else "archived_by": AUDITOR
                },
            )
    with pytest.raises(Conflict, match="only approved"):
        await playbooks.mark_playbook_indexed(conn, a.id)
    assert await playbooks.list_live_playbook_titles(conn) == []


async def test_live_titles_newest_first_skip_archived(conn: Conn) -> None:
    await playbooks.draft_playbook(conn, draft("First"))
    gone = await playbooks.draft_playbook(conn, draft("Gone"))
    await playbooks.draft_playbook(conn, draft("Third", source_program="librarian"))
    await playbooks.reject_playbook(conn, gone.id, rejected_by=AUDITOR)
    assert await playbooks.list_live_playbook_titles(conn) == ["Third", "First"]
