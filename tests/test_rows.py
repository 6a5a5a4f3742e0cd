"""The trusted row path (repos/_rows.py) builds exactly what validation builds."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncRawCursor

from roboco_sql import bootstrap
from roboco_sql.models.agent import Agent
from roboco_sql.models.enums import AgentRole
from roboco_sql.repos import _rows

# the agents row with its columns in reverse order, the aliased model_config among them
_REVERSED = """
SELECT updated_at, created_at, description, journal_id, metrics, permissions, capabilities,
       system_prompt, model_config, current_task_id, status, team, role, slug, name, id
FROM agents WHERE slug = 'ceo'
"""


async def _ceo(conn: Any, validate: bool, monkeypatch: Any) -> Agent:
    monkeypatch.setattr(_rows, "VALIDATE", validate)
    async with AsyncRawCursor(conn, row_factory=_rows.model_row(Agent)) as cur:
        await cur.execute(_REVERSED)
        row = await cur.fetchone()
    assert row is not None
    return row


async def test_trusted_row_keeps_field_order_whatever_the_select(
    conn: Any, monkeypatch: Any
) -> None:
    """A dump's keys follow the model's fields, not the SELECT's columns, on both paths."""
    await bootstrap.seed(conn)
    trusted = await _ceo(conn, False, monkeypatch)
    validated = await _ceo(conn, True, monkeypatch)
    assert trusted == validated
    assert trusted.role is AgentRole.CEO
    assert list(trusted.model_dump()) == list(Agent.model_fields)
    assert trusted.model_dump_json() == validated.model_dump_json()
    assert list(trusted.model_dump(by_alias=True)) == list(validated.model_dump(by_alias=True))


async def test_one_factory_follows_each_statement_shape(conn: Any, monkeypatch: Any) -> None:
    """A factory keeps the last result shape's maker: a statement of another shape (the
    same columns in another order) gets its own maker, never the last one's."""
    await bootstrap.seed(conn)
    validated = await _ceo(conn, True, monkeypatch)
    columns = _REVERSED.split("SELECT", 1)[1].split("FROM", 1)[0].split(",")
    natural = (
        f"SELECT {', '.join(c.strip() for c in reversed(columns))} FROM agents WHERE slug = 'ceo'"
    )
    monkeypatch.setattr(_rows, "VALIDATE", False)
    factory = _rows.model_row(Agent)
    for sql in (_REVERSED, natural, natural, _REVERSED):
        async with AsyncRawCursor(conn, row_factory=factory) as cur:
            await cur.execute(sql)
            assert await cur.fetchone() == validated
