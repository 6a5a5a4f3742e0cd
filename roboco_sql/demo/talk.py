"""What the agents say, send and write down: A2A messages, notifications and journal entries.

Every one is counted in the report as it is written; the journal entries are kept too, for the
knowledge base at the end of the day.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from roboco_sql.db import connection
from roboco_sql.models.a2a import A2AConversationCreate, A2AMessageCreate
from roboco_sql.models.agent import Agent
from roboco_sql.models.enums import (
    A2AMessageKind,
    AgentStatus,
    JournalEntryType,
    NotificationType,
)
from roboco_sql.models.journal import JournalEntry, JournalEntryCreate
from roboco_sql.models.notification import NotificationCreate
from roboco_sql.models.task import Task
from roboco_sql.repos import a2a, agents, journals, notifications

from .words import Words

Conn = AsyncConnection[Any]


@dataclass(frozen=True, slots=True)
class Room:
    """Who talks about what: the agent who hosts it (a cell's PM, the Main PM, the product
    owner), the one the host talks to, and the topic.

    RoboCo has no group chat any more (060_drop_messaging): every conversation is an A2A one
    between two agents. A word said in the room goes to the agent it names, else to the host,
    or, from the host, to its second; each pair gets one conversation per topic.
    """

    host: str
    second: str
    topic: str


@asynccontextmanager
async def autocommit(conn: Conn) -> AsyncIterator[Conn]:
    """Each statement outside ``conn.transaction()`` commits at once: no stray long
    transaction can hold a snapshot for an agent's whole day."""
    await conn.set_autocommit(True)
    try:
        yield conn
    finally:
        if not conn.closed and not conn.broken:
            await conn.set_autocommit(False)


class Talk:
    """The day's conversations, notifications and journals (one event loop, so no locks but
    the one that opens conversations)."""

    def __init__(
        self, pool: AsyncConnectionPool, count: Counter[str], slug: str, crew: Sequence[Agent]
    ) -> None:
        self.pool = pool
        self.count = count
        self.slug = slug
        self.crew = list(crew)
        self.conversations: dict[tuple[str, str, str], uuid.UUID] = {}
        self._opening = asyncio.Lock()
        self.journal_ids: dict[uuid.UUID, uuid.UUID] = {}
        self.entries: dict[uuid.UUID, list[JournalEntry]] = defaultdict(list)

    async def conversation(self, a: str, b: str, topic: str) -> uuid.UUID:
        """The day's A2A conversation of two agents about a topic, opened on first use.

        Opened on a connection of its own, committed at once, one at a time: every agent's
        transaction then finds it, and two agents never open the same one.
        """
        first, second = sorted((a, b))
        key = (first, second, topic)
        found = self.conversations.get(key)
        if found is not None:
            return found
        async with self._opening:
            found = self.conversations.get(key)
            if found is None:
                async with connection(self.pool) as conn, autocommit(conn):
                    made = await a2a.create_conversation(
                        conn, A2AConversationCreate(agent_a=a, agent_b=b, topic=topic[:255])
                    )
                found = self.conversations[key] = made.id
        return found

    async def say(
        self,
        conn: Conn,
        room: Room,
        who: Agent,
        text: str,
        *,
        task: Task | None = None,
        kind: A2AMessageKind = A2AMessageKind.MESSAGE,
        mentions: Sequence[Agent] = (),
    ) -> None:
        """An A2A message about the room's topic, to the agent named, else to the host (from
        the host, to its second)."""
        to = mentions[0].slug if mentions else room.host
        if to == who.slug:
            to = room.second if who.slug != room.second else room.host
        await a2a.add_message(
            conn,
            A2AMessageCreate(
                conversation_id=await self.conversation(who.slug, to, room.topic),
                from_agent=who.slug,
                content=text,
                message_kind=kind,
                requires_response=kind is A2AMessageKind.REQUEST,
            ),
        )
        self.count["messages"] += 1

    async def announce(self, conn: Conn, who: Agent, subject: str, body: str) -> None:
        """The day's news: a broadcast notification to everyone at work today but the sender
        (each acknowledges it at its next turn)."""
        crew = [a for a in self.crew if a.id != who.id]
        await self.notify(conn, who, crew, NotificationType.BROADCAST, subject, body=body)

    async def notify(
        self,
        conn: Conn,
        sender: Agent,
        to: Sequence[Agent],
        kind: NotificationType,
        subject: str,
        *,
        body: str,
        task: Task | None = None,
    ) -> None:
        await notifications.send_notification(
            conn,
            NotificationCreate(
                type=kind,
                from_agent=sender.id,
                to_agents=[a.id for a in to],
                subject=subject[:200],
                body=body,
                related_task_id=task.id if task is not None else None,
            ),
        )
        self.count["notifications"] += 1
        self.count["notified"] += len(to)

    async def escalate(
        self,
        conn: Conn,
        room: Room,
        me: Agent,
        to: Agent,
        *,
        task: Task,
        text: str,
        subject: str,
        body: str,
    ) -> None:
        """A blocker said in the room, escalated to `to`, and `me` free for other work."""
        await self.say(conn, room, me, text, task=task, kind=A2AMessageKind.REQUEST, mentions=[to])
        await self.notify(
            conn, me, [to], NotificationType.BLOCKER_ESCALATION, subject, body=body, task=task
        )
        await agents.update_status(conn, me.id, AgentStatus.IDLE, current_task_id=None)

    async def write(
        self,
        conn: Conn,
        who: Agent,
        kind: JournalEntryType,
        title: str,
        content: str,
        *,
        task: Task | None = None,
    ) -> None:
        journal_id = self.journal_ids.get(who.id)
        if journal_id is None:
            journal_id = (await journals.get_or_create_journal(conn, who.id)).id
            self.journal_ids[who.id] = journal_id
        entry = await journals.add_entry(
            conn,
            JournalEntryCreate(
                journal_id=journal_id,
                type=kind,
                title=title[:200],
                content=content,
                task_id=task.id if task is not None else None,
                tags=[self.slug, who.role.value, *([task.team.value] if task else [])],
            ),
        )
        self.entries[who.id].append(entry)
        self.count["journal_entries"] += 1

    async def speak(
        self,
        conn: Conn,
        who: Agent,
        words: Words,
        *,
        room: Room | None = None,
        task: Task | None = None,
        to: Agent | None = None,
        **fields: object,
    ) -> None:
        """A step's words (see words.py), filled in: said in `room`, sent to `to`, written
        down; about `task` where given."""
        values = {"task": task, "to": to, **fields}
        if words.say:
            assert room is not None, "words said need a room"
            named = [to] if to is not None and "{to.slug}" in words.say else []
            text = words.say.format(**values)
            await self.say(conn, room, who, text, task=task, kind=words.kind, mentions=named)
        if words.notice is not None:
            assert to is not None, "a notice needs the agent it goes to"
            n = words.notice
            subject, body = n.subject.format(**values), n.body.format(**values)
            await self.notify(conn, who, [to], n.kind, subject, body=body, task=task)
        if words.entry is not None:
            e = words.entry
            title, content = e.title.format(**values), e.content.format(**values)
            await self.write(conn, who, e.kind, title, content, task=task)

    async def inbox(self, conn: Conn, me: Agent) -> None:
        """Read and acknowledge what arrived (the orchestrator's per-turn inbox)."""
        async with conn.transaction():
            waiting = await notifications.list_unacknowledged(conn, me.id, limit=200)
            for note in waiting:
                await notifications.acknowledge(conn, note.id, me.id)
        self.count["acks"] += len(waiting)
