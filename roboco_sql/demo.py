"""A day at RoboCo: the whole company's data flow, end to end, through the public API.

:func:`run_day` drives one workday the way RoboCo's orchestrator would, with nothing but what
the orchestrator imports (``init_db``, ``open_pool``, ``connection``, ``bootstrap``, the repos,
``rag`` and ``crypto``):

1. boot: ``init_db()``, ``open_pool()``, then db-init's seed, and the RAG tables;
2. the board: the product owner pitches, the CEO approves it; the product and its three cell
   projects (backend, frontend, ux_ui) are registered, each with an encrypted git token;
3. planning: the Main PM opens one coordination task per feature on the product and fans it
   out to the cells (``graph.fan_out``); each cell task gets subtasks with dependencies;
4. the workday: twenty agents at once, each an asyncio task on its own pooled connection.
   Developers ``claim_next`` work, open work sessions, commit and open PRs; QA, documenters, PR
   reviewers and PMs move tasks along the lifecycle's real edges; some work is blocked and
   unblocked, some is sent back, one task per feature is escalated to the CEO; A2A messages,
   notifications (acknowledged) and journal entries flow all day (RoboCo retired channels,
   groups, sessions and messages in 060_drop_messaging: agents talk in A2A conversations, two
   agents each, and company-wide news goes out as broadcast notifications);
5. knowledge: the day's journal entries go into the knowledge base and a mentor lookup finds
   them (without pgvector the demo says RAG is off and goes on);
6. wrap-up: every task of the day is completed or cancelled; the report counts what happened.

Each run is a new day: its slugs carry the day number (one more than the highest demo day on
the database), so a database takes any number of days. ``scale`` multiplies the work (features,
so tasks, messages and notifications). The demo drains the live claim queue, so it refuses a
database with open tasks it did not make; open tasks of an interrupted demo day are cancelled.

Embeddings here come from :func:`hash_embedding`, a deterministic stand-in so the demo needs
no model; a real deployment passes its embedding model's vectors of
``ROBOCO_EMBEDDING_DIMENSIONS`` to ``rag.replace_source`` and ``rag.mentor_lookup``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import itertools
import math
import re
import secrets
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Final

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool
from pydantic import SecretStr

from roboco_sql import bootstrap, rag
from roboco_sql.boot import init_db
from roboco_sql.config import Settings, describe
from roboco_sql.crypto import SecretBox, generate_key
from roboco_sql.db import connection, open_pool, resolve_url
from roboco_sql.errors import Conflict, EncryptionError, RagDisabled, RobocoSQLError
from roboco_sql.lifecycle import TERMINAL
from roboco_sql.models.a2a import A2AConversationCreate, A2AMessageCreate
from roboco_sql.models.agent import Agent
from roboco_sql.models.enums import (
    A2AMessageKind,
    AgentRole,
    AgentStatus,
    Complexity,
    JournalEntryType,
    NotificationType,
    TaskNature,
    TaskStatus,
    TaskType,
    Team,
    WorkSessionStatus,
)
from roboco_sql.models.journal import JournalEntry, JournalEntryCreate
from roboco_sql.models.knowledge import IndexType
from roboco_sql.models.notification import NotificationCreate
from roboco_sql.models.pitch import PitchCreate
from roboco_sql.models.product import ProductCellMapping, ProductCreate
from roboco_sql.models.project import ProjectCreate
from roboco_sql.models.task import Task, TaskCreate, TaskUpdate
from roboco_sql.repos import (
    a2a,
    agents,
    audit,
    claims,
    graph,
    journals,
    notifications,
    pitches,
    products,
    projects,
    tasks,
    transitions,
    work_sessions,
)

__all__ = ["DEMO_PREFIX", "DayReport", "Fate", "hash_embedding", "run_day"]

Conn = AsyncConnection[Any]
Echo = Callable[[str], None]
S = TaskStatus

DEMO_PREFIX: Final = "demo-day-"
"""Every slug the demo writes starts with this, then the day number."""

# UX/UI first: fan_out makes the backend and frontend tasks wait on its design.
CELLS: Final = (Team.UX_UI, Team.BACKEND, Team.FRONTEND)
_PREFIX: Final = {Team.UX_UI: "ux", Team.BACKEND: "be", Team.FRONTEND: "fe"}
_WORK: Final = {
    Team.UX_UI: ("Wireframes", "Design tokens", "Clickable prototype"),
    Team.BACKEND: ("Data model", "API endpoints", "Integration tests"),
    Team.FRONTEND: ("Screens", "Client state", "End-to-end wiring"),
}
_FILES: Final = {
    Team.UX_UI: ("design/{f}.fig", "design/tokens.json"),
    Team.BACKEND: ("app/{f}/models.py", "app/{f}/api.py", "tests/test_{f}.py"),
    Team.FRONTEND: ("src/{f}/Screen.tsx", "src/{f}/store.ts"),
}
_THEMES: Final = (
    ("Checkout", ("guest checkout", "saved carts", "promo codes", "order tracking")),
    ("Onboarding", ("sign-up wizard", "team invites", "sample data", "first-run tour")),
    ("Search", ("instant results", "filters", "saved searches", "typo tolerance")),
    ("Inbox", ("threaded replies", "snooze", "read receipts", "digest emails")),
    ("Billing", ("invoices", "usage meters", "card updates", "tax receipts")),
)
_OPEN_STATUSES: Final = [s for s in TaskStatus if s not in TERMINAL]
_CREW: Final = 20  # the agents at work, each on a pooled connection of its own
_IDLE_WAIT: Final = 0.5  # seconds an idle agent sleeps when nobody wakes it


class Fate(StrEnum):
    """What happens to a subtask on its way to done (the first time through)."""

    SMOOTH = "smooth"
    RELEASE = "release"  # the developer hands it back to the pool (unclaim); another takes it
    QA_FAIL = "qa_fail"  # QA sends it back for revision
    PR_FAIL = "pr_fail"  # the PR reviewer sends it back
    PM_REJECT = "pm_reject"  # the cell PM sends it back
    WAIT_REPLY = "wait_reply"  # blocked on a question; the cell PM answers and unblocks
    ON_DECISION = "on_decision"  # blocked on the coordination task; the Main PM resolves it
    ESCALATE = "escalate"  # the Main PM escalates it to the CEO, who approves it


# (cell, subtask index) -> fate; the third subtask of each cell waits on the first two.
_FATES: Final = {
    (Team.UX_UI, 0): Fate.QA_FAIL,
    (Team.UX_UI, 1): Fate.RELEASE,
    (Team.UX_UI, 2): Fate.SMOOTH,
    (Team.BACKEND, 0): Fate.ON_DECISION,
    (Team.BACKEND, 1): Fate.PR_FAIL,
    (Team.BACKEND, 2): Fate.ESCALATE,
    (Team.FRONTEND, 0): Fate.PM_REJECT,
    (Team.FRONTEND, 1): Fate.WAIT_REPLY,
    (Team.FRONTEND, 2): Fate.SMOOTH,
}
# Subtasks that start in the backlog and are activated by their PM.
_FROM_BACKLOG: Final = frozenset({(Team.FRONTEND, 2)})

# Status changes each path takes, for the plan: claim, start, verify, QA hand-off (dev);
# claim, start, pass (QA); claim, start, hand-off (docs); pass (PR); complete (PM).
_SMOOTH_PATH: Final = 12
_EXTRA: Final = {
    Fate.SMOOTH: 0,
    Fate.RELEASE: 2,  # release, claim again
    Fate.QA_FAIL: 7,  # dev cycle (4) + QA again (3)
    Fate.PR_FAIL: 11,  # dev (4) + QA (3) + docs (3) + PR (1)
    Fate.PM_REJECT: 12,  # dev (4) + QA (3) + docs (3) + PR (1) + PM (1)
    Fate.WAIT_REPLY: 2,  # blocked, unblocked
    Fate.ON_DECISION: 2,
    Fate.ESCALATE: 1,  # awaiting_ceo_approval, then the CEO completes it
}


def hash_embedding(text: str, dimensions: int) -> list[float]:
    """A deterministic bag-of-words embedding (feature hashing of words and word pairs).

    A stand-in for the demo only: texts sharing words land close together, which is enough for
    a mentor lookup to find an agent's own entries. Real deployments pass the embeddings of
    their model, of ``ROBOCO_EMBEDDING_DIMENSIONS`` dimensions.
    """
    words = re.findall(r"[a-z0-9]+", text.lower()) or ["empty"]
    vector = [0.0] * dimensions
    for gram in [*words, *(f"{a} {b}" for a, b in itertools.pairwise(words))]:
        n = int.from_bytes(hashlib.blake2b(gram.encode(), digest_size=8).digest(), "little")
        vector[n % dimensions] += 1.0 if n >> 63 else -1.0
    norm = math.sqrt(sum(x * x for x in vector))
    if norm == 0.0:
        vector[0], norm = 1.0, 1.0
    return [x / norm for x in vector]


# -- the report --------------------------------------------------------------------------------


@dataclass
class DayReport:
    """What the day did. ``tokens`` holds today's plaintext tokens for checks; never printed."""

    day: int
    scale: int
    server: str
    product_slug: str = ""
    product_id: uuid.UUID | None = None
    pitch_id: uuid.UUID | None = None
    project_ids: dict[str, uuid.UUID] = field(default_factory=dict)
    coordination_ids: list[uuid.UUID] = field(default_factory=list)
    task_ids: list[uuid.UUID] = field(default_factory=list)
    tokens: dict[str, SecretStr] = field(default_factory=dict, repr=False)
    key: str = ""  # where the encryption key came from: ROBOCO_ENCRYPTION_KEY or ephemeral
    earlier_tokens_readable: int = 0
    earlier_tokens_unreadable: int = 0
    interrupted_tasks_cancelled: int = 0
    rag_enabled: bool = False
    rag: str = ""
    embedding_dimensions: int = 0
    phases: list[tuple[str, float, str, list[str]]] = field(default_factory=list)
    tasks_by_status: dict[str, int] = field(default_factory=dict)
    planned: dict[str, int] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)
    mentor: list[dict[str, Any]] = field(default_factory=list)
    # when the day's own rows begin (after boot and db-init, whose seed rows are not the day's)
    started_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    seconds: float = 0.0

    def header(self) -> str:
        return f"RoboCo, day {self.day} (scale {self.scale}) on {self.server}"

    @staticmethod
    def phase_lines(name: str, seconds: float, what: str, notes: Sequence[str] = ()) -> list[str]:
        return [f"  {name:<10}{seconds:>6.2f} s  {what}", *(f"{'':21}{n}" for n in notes)]

    def summary_lines(self) -> list[str]:
        c = self.counts
        total = sum(self.tasks_by_status.values())
        by_status = ", ".join(f"{n} {s}" for s, n in sorted(self.tasks_by_status.items()))
        still_open = sum(n for s, n in self.tasks_by_status.items() if S(s) not in TERMINAL)
        return [
            f"tasks        {total}: {by_status}"
            + ("; none left open" if not still_open else f"; {still_open} LEFT OPEN"),
            f"transitions  {c['transitions']}, each audited: {c['claims']} claims, "
            f"{c['releases']} released, {c['blocks']} blocked and {c['unblocks']} unblocked,",
            f"             {c['revisions']} sent back for revision, {c['escalations']} "
            "escalated to the CEO and approved",
            f"work         {c['work_sessions']} work sessions ({c['merges']} merged), "
            f"{c['commits']} commits, {c['prs']} pull requests",
            f"messages     {c['messages']} A2A messages in {c['conversations']} conversations, "
            "closed at the end of the day",
            f"notices      {c['notifications']} notifications to {c['notified']} recipients, "
            f"{c['acks']} acknowledged",
            f"journals     {c['journal_entries']} entries by {c['journal_authors']} agents, "
            + (f"{c['chunks']} chunks in the knowledge base" if self.rag_enabled else "RAG off"),
            f"total        {self.seconds:.2f} s",
        ]

    def lines(self) -> list[str]:
        return [
            self.header(),
            *(line for n, s, w, notes in self.phases for line in self.phase_lines(n, s, w, notes)),
            "",
            *self.summary_lines(),
        ]

    def as_dict(self) -> dict[str, Any]:
        return {
            "day": self.day,
            "scale": self.scale,
            "server": self.server,
            "product": {"slug": self.product_slug, "id": self.product_id},
            "pitch_id": self.pitch_id,
            "project_ids": self.project_ids,
            "coordination_ids": self.coordination_ids,
            "task_ids": self.task_ids,
            "key": self.key,
            "earlier_tokens": {
                "readable": self.earlier_tokens_readable,
                "unreadable": self.earlier_tokens_unreadable,
            },
            "interrupted_tasks_cancelled": self.interrupted_tasks_cancelled,
            "rag": {
                "enabled": self.rag_enabled,
                "status": self.rag,
                "dimensions": self.embedding_dimensions,
            },
            "phases": [
                {"phase": n, "seconds": round(s, 4), "what": w, "notes": notes}
                for n, s, w, notes in self.phases
            ],
            "tasks_by_status": self.tasks_by_status,
            "planned": self.planned,
            "counts": dict(self.counts),
            "mentor": self.mentor,
            "started_at": self.started_at,
            "seconds": round(self.seconds, 4),
        }


# -- the day -----------------------------------------------------------------------------------


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


@dataclass
class Feature:
    name: str
    coordination: Task
    children: dict[Team, Task] = field(default_factory=dict)
    subtasks: dict[Team, list[Task]] = field(default_factory=dict)
    spikes: list[Task] = field(default_factory=list)
    rooms: dict[Team, Room] = field(default_factory=dict)


Key = tuple[str, Team | None]
_PENDING: ContextVar[list[Task] | None] = ContextVar("_PENDING", default=None)
Step = Callable[[Conn, Agent], Awaitable[bool]]


class _Signals:
    """Wake-ups between agents: whoever moves a task wakes the agents that act on it next."""

    def __init__(self) -> None:
        self._events: dict[Key, asyncio.Event] = {}

    def current(self, key: Key) -> asyncio.Event:
        return self._events.setdefault(key, asyncio.Event())

    def kick(self, *keys: Key) -> None:
        for key in keys:
            event = self._events.pop(key, None)
            if event is not None:
                event.set()

    def kick_all(self) -> None:
        self.kick(*list(self._events))


class Day:
    """One workday's state, shared by the agents (one event loop, so no locks)."""

    def __init__(
        self,
        pool: AsyncConnectionPool,
        report: DayReport,
        box: SecretBox,
        staff: dict[str, Agent],
    ) -> None:
        self.pool = pool
        self.report = report
        self.count = report.counts
        self.box = box
        self.staff = staff
        self.slug = f"{DEMO_PREFIX}{report.day}"
        self.features: list[Feature] = []
        self.project_ids: dict[Team, uuid.UUID] = {}
        self.fates: dict[uuid.UUID, Fate] = {}
        self.fates_spent: set[uuid.UUID] = set()
        self.from_backlog: list[Task] = []
        self.room_of: dict[uuid.UUID, Room] = {}
        self.board: Room | None = None
        self.conversations: dict[tuple[str, str, str], uuid.UUID] = {}
        self._opening = asyncio.Lock()
        self.journal_ids: dict[uuid.UUID, uuid.UUID] = {}
        self.entries: dict[uuid.UUID, list[JournalEntry]] = defaultdict(list)
        self.signals = _Signals()
        self.done = False
        self.pr_numbers = 0  # PR numbers count per project, and the projects are new each day
        self.started_pms: set[uuid.UUID] = set()

    # -- helpers -------------------------------------------------------------------------------

    def agent(self, slug: str) -> Agent:
        return self.staff[slug]

    def cell_agent(self, team: Team, role: str) -> Agent:
        return self.staff[f"{_PREFIX[team]}-{role}"]

    def project(self, team: Team) -> uuid.UUID:
        return self.project_ids[team]

    def fate(self, task_id: uuid.UUID) -> Fate:
        return self.fates.get(task_id, Fate.SMOOTH)

    def spend(self, task_id: uuid.UUID, *fates: Fate) -> bool:
        """True the first time the task meets one of these fates; it is spent then."""
        if self.fate(task_id) in fates and task_id not in self.fates_spent:
            self.fates_spent.add(task_id)
            return True
        return False

    def moved(self, task: Task, kind: str | None = None) -> Task:
        """Count one status change (each writes one audit row) and wake who acts next."""
        self.count["transitions"] += 1
        if kind is not None:
            self.count[kind] += 1
        pending = _PENDING.get()
        if pending is None:
            self.wake(task)
        else:
            pending.append(task)  # woken once the transaction commits
        return task

    @asynccontextmanager
    async def tx(self, conn: Conn) -> AsyncIterator[None]:
        """One transaction; the agents its moves concern are woken after it commits, so
        they find the rows it wrote."""
        pending: list[Task] = []
        token = _PENDING.set(pending)
        try:
            async with conn.transaction():
                yield
        finally:
            _PENDING.reset(token)
        for task in pending:
            self.wake(task)

    def wake(self, task: Task) -> None:
        team = task.team if task.team in _PREFIX else None
        status = task.status
        if status in (S.PENDING, S.NEEDS_REVISION, S.IN_PROGRESS):
            self.signals.kick(("dev", team))
        elif status is S.AWAITING_QA:
            self.signals.kick(("qa", team))
        elif status is S.AWAITING_DOCUMENTATION:
            self.signals.kick(("doc", team))
        elif status is S.AWAITING_PR_REVIEW:
            self.signals.kick(("pr", team))
        elif status in (S.AWAITING_PM_REVIEW, S.BLOCKED):
            self.signals.kick(("pm", team), ("main", None))
        elif status is S.AWAITING_CEO_APPROVAL:
            self.signals.kick(("ceo", None))
        elif status in TERMINAL:
            # dependents may be claimable now; the PMs may close a cell or a feature
            self.signals.kick_all()

    async def transition(self, conn: Conn, task: Task, to: TaskStatus, who: Agent) -> Task:
        kind = {S.NEEDS_REVISION: "revisions", S.AWAITING_CEO_APPROVAL: "escalations"}.get(to)
        if to is S.BLOCKED:
            kind = "blocks"
        elif task.status is S.BLOCKED:
            kind = "unblocks"
        return self.moved(await transitions.transition(conn, task.id, to, who), kind)

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
                async with connection(self.pool) as conn, _autocommit(conn):
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
        crew = [a for a, _, _ in self.roster() if a.id != who.id]
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

    async def inbox(self, conn: Conn, me: Agent) -> None:
        """Read and acknowledge what arrived (the orchestrator's per-turn inbox)."""
        async with self.tx(conn):
            waiting = await notifications.list_unacknowledged(conn, me.id, limit=200)
            for note in waiting:
                await notifications.acknowledge(conn, note.id, me.id)
        self.count["acks"] += len(waiting)

    async def waiting_in(
        self, conn: Conn, status: TaskStatus, team: Team, limit: int = 20
    ) -> list[Task]:
        found = await tasks.list_tasks(
            conn, status=status, project_id=self.project(team), limit=limit
        )
        return sorted(found, key=lambda t: (t.created_at, t.id))

    # -- developers ----------------------------------------------------------------------------

    async def developer(self, conn: Conn, me: Agent) -> bool:
        assert me.team is not None
        await self.inbox(conn, me)
        async with self.tx(conn):
            resumed = await tasks.list_tasks(
                conn,
                status=S.IN_PROGRESS,
                assigned_to=me.id,
                project_id=self.project(me.team),
                limit=1,
            )
        if resumed:  # unblocked while it worked on something else
            await self.build(conn, me, resumed[0], resumed=True)
            return True
        async with self.tx(conn):
            task = await claims.claim_next(conn, me)
            if task is None:
                return False
            self.moved(task, "claims")
            await agents.update_status(conn, me.id, AgentStatus.ACTIVE, current_task_id=task.id)
            revision = task.pr_number is not None
            await self.say(
                conn,
                self.room_of[task.id],
                me,
                f"{'Back on' if revision else 'Picking up'} '{task.title}' on {task.branch_name}.",
                task=task,
                kind=A2AMessageKind.MESSAGE,
            )
        await self.build(conn, me, task, resumed=False)
        return True

    async def build(self, conn: Conn, me: Agent, task: Task, *, resumed: bool) -> None:
        room = self.room_of[task.id]
        session_id = task.work_session_id
        if session_id is None:
            raise RobocoSQLError(
                f"task {task.id}: a developer's claim opened no work session (branch "
                f"{task.branch_name!r}, project {task.project_id})"
            )
        if not resumed:
            if self.spend(task.id, Fate.RELEASE):
                async with self.tx(conn):
                    back = await claims.release(conn, task.id, me)
                    self.moved(back, "releases")
                    await self.say(
                        conn,
                        room,
                        me,
                        f"Handing '{task.title}' back to the pool: my pair knows this part "
                        "of the design system better.",
                        task=task,
                    )
                    await agents.update_status(conn, me.id, AgentStatus.IDLE, current_task_id=None)
                return
            async with self.tx(conn):
                task = await self.transition(conn, task, S.IN_PROGRESS, me)
        revision = task.pr_number is not None
        feature = task.title.split(" for ", 1)[-1]
        n = self.count["commits"]
        async with self.tx(conn):
            sha = hashlib.sha1(f"{task.id}:{n}:{resumed}".encode()).hexdigest()
            files = [f.format(f=re.sub(r"\W+", "_", feature)) for f in _FILES[task.team]]
            await work_sessions.record_commits(conn, session_id, [sha], files)
            await claims.heartbeat(conn, task.id, me)
            self.count["commits"] += 1
        if not resumed and self.spend(task.id, Fate.WAIT_REPLY):
            pm = self.cell_agent(task.team, "pm")
            async with self.tx(conn):
                await self.transition(conn, task, S.BLOCKED, me)
                await self.escalate(
                    conn,
                    room,
                    me,
                    pm,
                    task=task,
                    text=f"Blocked on '{task.title}': should {feature} keep the old endpoint "
                    f"during the rollout? @{pm.slug}",
                    subject=f"Question blocks {task.title}",
                    body="Keep the old endpoint during the rollout?",
                )
            return
        if not resumed and self.spend(task.id, Fate.ON_DECISION):
            main = self.agent("main-pm")
            decision = self.feature_of(task).coordination
            async with self.tx(conn):
                blocked = await graph.add_blocker(conn, task.id, decision.id, raised_by=me)
                if blocked.status is S.BLOCKED:
                    self.moved(blocked, "blocks")
                await self.escalate(
                    conn,
                    room,
                    me,
                    main,
                    task=task,
                    text=f"'{task.title}' waits on a product decision in "
                    f"'{decision.title}': which storage tier? @main-pm",
                    subject=f"Decision needed for {task.title}",
                    body="Which storage tier should the data model target?",
                )
            return
        async with self.tx(conn):
            if not revision:
                self.pr_numbers += 1
                number = self.pr_numbers
                url = f"https://git.example.com/roboco/{self.slug}-{_slug(task.team)}/pull/{number}"
                await work_sessions.record_pr(conn, session_id, number, url)
                await tasks.update_task(
                    conn,
                    task.id,
                    TaskUpdate(pr_number=number, pr_url=url, pr_created=True, dev_notes="ready"),
                )
                self.count["prs"] += 1
            task = await self.transition(conn, task, S.VERIFYING, me)
            task = await self.transition(conn, task, S.AWAITING_QA, me)
            qa = self.cell_agent(task.team, "qa")
            await self.say(
                conn,
                room,
                me,
                f"'{task.title}' is ready for QA (PR #{task.pr_number}). @{qa.slug}",
                task=task,
                mentions=[qa],
            )
            await self.notify(
                conn,
                me,
                [qa],
                NotificationType.REVIEW_REQUEST,
                f"QA please: {task.title}",
                body=f"Branch {task.branch_name}",
                task=task,
            )
            await self.write(
                conn,
                me,
                JournalEntryType.STRUGGLE if revision else JournalEntryType.TASK_REFLECTION,
                f"{'Reworked' if revision else 'Built'} {task.title}",
                (
                    f"{'Reworked' if revision else 'Built'} {task.title} on branch "
                    f"{task.branch_name}. "
                    + (
                        "The review sent it back for revision; I fixed what was found and "
                        "added a test so the same edge case cannot slip through again."
                        if revision
                        else "Small commits and an early pull request kept the review short; "
                        "next time I will write the acceptance tests before the code."
                    )
                ),
                task=task,
            )
            await agents.update_status(conn, me.id, AgentStatus.IDLE, current_task_id=None)

    def feature_of(self, task: Task) -> Feature:
        for feature in self.features:
            for team, subtasks in feature.subtasks.items():
                if team == task.team and any(s.id == task.id for s in subtasks):
                    return feature
        raise RobocoSQLError(f"task {task.id} belongs to no feature of the day")

    # -- QA, documenters, PR reviewers ---------------------------------------------------------

    async def qa(self, conn: Conn, me: Agent) -> bool:
        await self.inbox(conn, me)
        async with self.tx(conn):
            task = await claims.claim_next(conn, me)
            if task is None:
                return False
            self.moved(task, "claims")
            task = await self.transition(conn, task, S.IN_PROGRESS, me)
        room = self.room_of[task.id]
        async with self.tx(conn):
            if self.spend(task.id, Fate.QA_FAIL):
                await tasks.update_task(
                    conn, task.id, TaskUpdate(qa_notes="Fails at 320 px: the layout overflows.")
                )
                task = await self.transition(conn, task, S.NEEDS_REVISION, me)
                dev = self.staff_by_id(task.assigned_to)
                await self.say(
                    conn,
                    room,
                    me,
                    f"'{task.title}' goes back: it overflows at 320 px. @{dev.slug}",
                    task=task,
                    mentions=[dev],
                )
                await self.notify(
                    conn,
                    me,
                    [dev],
                    NotificationType.TASK_ASSIGNMENT,
                    f"Revision: {task.title}",
                    body="QA found a layout overflow at 320 px.",
                    task=task,
                )
                await self.write(
                    conn,
                    me,
                    JournalEntryType.LEARNING,
                    f"Narrow screens break {task.title}",
                    f"Testing {task.title} I found the layout overflows at 320 px. Lesson: "
                    "start every QA pass at the narrowest supported width, where overflow "
                    "bugs show first, and ask designers for the breakpoints up front.",
                    task=task,
                )
            else:
                task = await self.transition(conn, task, S.AWAITING_DOCUMENTATION, me)
                doc = self.cell_agent(task.team, "doc")
                await self.say(conn, room, me, f"'{task.title}' passes QA.", task=task)
                await self.notify(
                    conn,
                    me,
                    [doc],
                    NotificationType.DOCUMENTATION_REQUEST,
                    f"Docs please: {task.title}",
                    body="QA passed; the behaviour is final.",
                    task=task,
                )
                await self.write(
                    conn,
                    me,
                    JournalEntryType.TASK_REFLECTION,
                    f"QA passed {task.title}",
                    f"Verified {task.title} against every acceptance criterion: happy path, "
                    "empty states, errors and the narrow layout. The checklist from the last "
                    "revision paid off again.",
                    task=task,
                )
        return True

    def staff_by_id(self, agent_id: uuid.UUID | None) -> Agent:
        for agent in self.staff.values():
            if agent.id == agent_id:
                return agent
        raise RobocoSQLError(f"agent {agent_id} is not on the roster")

    async def documenter(self, conn: Conn, me: Agent) -> bool:
        assert me.team is not None
        await self.inbox(conn, me)
        async with self.tx(conn):
            ready = await self.waiting_in(conn, S.AWAITING_DOCUMENTATION, me.team, limit=1)
            if not ready:
                return False
            task = self.moved(await claims.claim(conn, ready[0].id, me), "claims")
            task = await self.transition(conn, task, S.IN_PROGRESS, me)
        async with self.tx(conn):
            await tasks.update_task(
                conn,
                task.id,
                TaskUpdate(docs_complete=True, doc_notes=f"Documented in docs/{task.id}.md"),
            )
            # entering the PR gate is a PM's action in RoboCo (submit_up), not the documenter's
            pm = self.cell_agent(task.team, "pm")
            task = await self.transition(conn, task, S.AWAITING_PR_REVIEW, pm)
            reviewer = self.cell_agent(task.team, "pr-reviewer")
            await self.say(conn, self.room_of[task.id], me, f"Docs for '{task.title}' are in.")
            await self.notify(
                conn,
                me,
                [reviewer],
                NotificationType.REVIEW_REQUEST,
                f"PR review: {task.title}",
                body=f"PR #{task.pr_number}, docs included.",
                task=task,
            )
            await self.write(
                conn,
                me,
                JournalEntryType.GENERAL,
                f"Documented {task.title}",
                f"Wrote the user guide and the changelog entry for {task.title}. Screenshots "
                "come from the QA run, so they match what ships; the how-to leads with the "
                "most common task.",
                task=task,
            )
        return True

    async def pr_reviewer(self, conn: Conn, me: Agent) -> bool:
        assert me.team is not None
        await self.inbox(conn, me)
        async with self.tx(conn):
            ready = await self.waiting_in(conn, S.AWAITING_PR_REVIEW, me.team, limit=1)
            if not ready:
                return False
            task = ready[0]
            dev = self.staff_by_id(_original_developer(task))
            if self.spend(task.id, Fate.PR_FAIL):
                await tasks.update_task(
                    conn,
                    task.id,
                    TaskUpdate(pr_reviewer_notes="N+1 queries in the list endpoint."),
                )
                task = await self.transition(conn, task, S.NEEDS_REVISION, me)
                await self.notify(
                    conn,
                    me,
                    [dev],
                    NotificationType.TASK_ASSIGNMENT,
                    f"PR changes requested: {task.title}",
                    body="The list endpoint issues one query per row; batch it.",
                    task=task,
                )
                verdict = "requested changes: the list endpoint issues one query per row"
            else:
                await tasks.update_task(conn, task.id, TaskUpdate(pr_reviewer_notes="LGTM"))
                task = await self.transition(conn, task, S.AWAITING_PM_REVIEW, me)
                pm = self.cell_agent(task.team, "pm")
                await self.notify(
                    conn,
                    me,
                    [pm],
                    NotificationType.REVIEW_REQUEST,
                    f"Ready for PM review: {task.title}",
                    body=f"PR #{task.pr_number} approved.",
                    task=task,
                )
                verdict = "approved it: small diff, tests cover the new paths"
            await self.write(
                conn,
                me,
                JournalEntryType.DECISION_LOG,
                f"Reviewed PR #{task.pr_number}",
                f"Reviewed PR #{task.pr_number} for {task.title} and {verdict}. I read the "
                "tests first, then the diff, and checked the queries the change adds.",
                task=task,
            )
        return True

    # -- PMs and the CEO -----------------------------------------------------------------------

    async def cell_pm(self, conn: Conn, me: Agent) -> bool:
        team = me.team
        assert team is not None
        await self.inbox(conn, me)
        did = False
        if me.id not in self.started_pms:  # the morning: groom the backlog
            self.started_pms.add(me.id)
            async with self.tx(conn):
                for feature in self.features:
                    for spike in feature.spikes:
                        if spike.team == team:
                            await self.transition(conn, spike, S.CANCELLED, me)
                for task in self.from_backlog:
                    if task.team == team:
                        await self.transition(conn, task, S.PENDING, me)
            did = True
        async with self.tx(conn):
            for task in await self.waiting_in(conn, S.BLOCKED, team):
                if self.fate(task.id) is Fate.WAIT_REPLY:
                    await self.say(
                        conn,
                        self.room_of[task.id],
                        me,
                        "Yes: keep the old endpoint until the rollout reaches 100%.",
                        task=task,
                        kind=A2AMessageKind.RESPONSE,
                    )
                    await self.transition(conn, task, S.IN_PROGRESS, me)
                    did = True
        async with self.tx(conn):
            for task in await self.waiting_in(conn, S.AWAITING_PM_REVIEW, team, limit=5):
                if self.fate(task.id) is Fate.ESCALATE:
                    continue  # the Main PM takes it to the CEO
                dev = self.staff_by_id(_original_developer(task))
                if self.spend(task.id, Fate.PM_REJECT):
                    await self.transition(conn, task, S.NEEDS_REVISION, me)
                    await self.notify(
                        conn,
                        me,
                        [dev],
                        NotificationType.TASK_ASSIGNMENT,
                        f"Not yet: {task.title}",
                        body="The empty state copy does not match the spec.",
                        task=task,
                    )
                    await self.say(
                        conn,
                        self.room_of[task.id],
                        me,
                        f"'{task.title}' goes back: the empty state copy is off. @{dev.slug}",
                        task=task,
                        mentions=[dev],
                    )
                    verdict = "sent it back: the empty state copy does not match the spec"
                else:
                    await self.merge_and_complete(conn, task, me, S.COMPLETED)
                    verdict = "accepted it and merged the PR"
                await self.write(
                    conn,
                    me,
                    JournalEntryType.DECISION_LOG,
                    f"PM review of {task.title}",
                    f"Reviewed {task.title} against the acceptance criteria and {verdict}. "
                    "Reviewing in the morning and after lunch keeps the queue short.",
                    task=task,
                )
                did = True
        for feature in self.features:
            child = feature.children[team]
            if child.status in TERMINAL:
                continue
            async with self.tx(conn):
                tree = await graph.subtree(conn, child.id)
                if any(t.status not in TERMINAL for t in tree[1:]):
                    continue
                child = self.moved(await claims.claim(conn, child.id, me), "claims")
                child = await self.transition(conn, child, S.IN_PROGRESS, me)
                child = await self.transition(conn, child, S.COMPLETED, me)
                await self.say(
                    conn,
                    feature.rooms[team],
                    me,
                    f"'{child.title}' is done: {len(tree) - 1} subtasks closed.",
                    task=child,
                    kind=A2AMessageKind.RESPONSE,
                )
                await self.write(
                    conn,
                    me,
                    JournalEntryType.TASK_REFLECTION,
                    f"Closed {child.title}",
                    f"All {len(tree) - 1} subtasks of {child.title} are closed. The spike was "
                    "descoped in the morning, which kept the cell on the critical path.",
                    task=child,
                )
            feature.children[team] = child  # committed: the Main PM may close the feature
            did = True
        return did

    async def merge_and_complete(self, conn: Conn, task: Task, me: Agent, to: TaskStatus) -> Task:
        if task.work_session_id is not None:
            await work_sessions.record_merge(conn, task.work_session_id, me.id)
            self.count["merges"] += 1
        return await self.transition(conn, task, to, me)

    async def main_pm(self, conn: Conn, me: Agent) -> bool:
        await self.inbox(conn, me)
        did = False
        coordinations = {f.coordination.id: f for f in self.features}
        for team in CELLS:
            async with self.tx(conn):
                for task in await self.waiting_in(conn, S.BLOCKED, team):
                    waits_on = [d for d in task.dependency_ids if d in coordinations]
                    for decision in waits_on:
                        await self.say(
                            conn,
                            self.room_of[task.id],
                            me,
                            f"Decision for '{task.title}': the standard storage tier.",
                            task=task,
                            kind=A2AMessageKind.RESPONSE,
                        )
                        moved = await graph.resolve_blocker(conn, task.id, decision, me)
                        if moved.status is not S.BLOCKED:
                            self.moved(moved, "unblocks")
                        did = True
            async with self.tx(conn):
                for ready in await self.waiting_in(conn, S.AWAITING_PM_REVIEW, team, limit=5):
                    if self.fate(ready.id) is not Fate.ESCALATE:
                        continue
                    task = await self.transition(conn, ready, S.AWAITING_CEO_APPROVAL, me)
                    ceo = self.agent("ceo")
                    assert self.board is not None
                    await self.say(
                        conn,
                        self.board,
                        me,
                        f"'{task.title}' changes what customers are billed; it needs your "
                        "approval. @ceo",
                        task=task,
                        mentions=[ceo],
                    )
                    await self.notify(
                        conn,
                        me,
                        [ceo],
                        NotificationType.APPROVAL,
                        f"Approval needed: {task.title}",
                        body=f"PR #{task.pr_number}; QA, docs and review passed.",
                        task=task,
                    )
                    await self.write(
                        conn,
                        me,
                        JournalEntryType.DECISION_LOG,
                        f"Escalated {task.title}",
                        f"Escalated {task.title} to the CEO: it changes what customers are "
                        "billed, which is the board's call, not the cell's.",
                        task=task,
                    )
                    did = True
        for feature in self.features:
            coordination = feature.coordination
            if coordination.status in TERMINAL:
                continue
            if any(c.status not in TERMINAL for c in feature.children.values()):
                continue
            async with self.tx(conn):
                done = await self.transition(conn, coordination, S.COMPLETED, me)
                await self.write(
                    conn,
                    me,
                    JournalEntryType.TASK_REFLECTION,
                    f"Shipped {feature.name}",
                    f"{feature.name} shipped across all three cells today. UX/UI went first, "
                    "backend and frontend followed on its design; one escalation, no slips.",
                    task=done,
                )
            feature.coordination = done
            did = True
        if all(f.coordination.status is S.COMPLETED for f in self.features):
            self.done = True
            self.signals.kick_all()
        return did

    async def ceo(self, conn: Conn, me: Agent) -> bool:
        await self.inbox(conn, me)
        did = False
        for team in CELLS:
            async with self.tx(conn):
                for ready in await self.waiting_in(conn, S.AWAITING_CEO_APPROVAL, team):
                    task = await self.merge_and_complete(conn, ready, me, S.COMPLETED)
                    assert self.board is not None
                    await self.say(
                        conn,
                        self.board,
                        me,
                        f"Approved '{task.title}'. Ship it.",
                        task=task,
                        kind=A2AMessageKind.RESPONSE,
                    )
                    await self.write(
                        conn,
                        me,
                        JournalEntryType.DECISION_LOG,
                        f"Approved {task.title}",
                        f"Approved {task.title}: the pricing change is reversible and the "
                        "billing tests cover the edge cases the board asked about.",
                        task=task,
                    )
                    did = True
        return did

    # -- the agents at work --------------------------------------------------------------------

    def roster(self) -> list[tuple[Agent, Key, Step]]:
        crew: list[tuple[Agent, Key, Step]] = []
        for team in CELLS:
            p = _PREFIX[team]
            crew += [
                (self.agent(f"{p}-dev-1"), ("dev", team), self.developer),
                (self.agent(f"{p}-dev-2"), ("dev", team), self.developer),
                (self.agent(f"{p}-qa"), ("qa", team), self.qa),
                (self.agent(f"{p}-doc"), ("doc", team), self.documenter),
                (self.agent(f"{p}-pr-reviewer"), ("pr", team), self.pr_reviewer),
                (self.agent(f"{p}-pm"), ("pm", team), self.cell_pm),
            ]
        crew += [
            (self.agent("main-pm"), ("main", None), self.main_pm),
            (self.agent("ceo"), ("ceo", None), self.ceo),
        ]
        return crew

    async def work(self, me: Agent, key: Key, step: Step, deadline: float) -> None:
        async with connection(self.pool) as conn, _autocommit(conn):
            while not self.done:
                if time.monotonic() > deadline:
                    return
                wake = self.signals.current(key)
                if not await step(conn, me):
                    with suppress(TimeoutError):
                        await asyncio.wait_for(wake.wait(), _IDLE_WAIT)
            await self.inbox(conn, me)  # inbox zero before going home
            async with self.tx(conn):
                mine = self.entries.get(me.id, [])
                await self.write(
                    conn,
                    me,
                    JournalEntryType.GENERAL,
                    f"Day {self.report.day} wrap-up",
                    f"Day {self.report.day} at RoboCo on {self.slug}: as {me.name} I wrote "
                    f"{len(mine)} journal entries before this one. Tomorrow: keep the queue "
                    "short, ask early when blocked, and review before starting new work.",
                )
                await agents.update_status(conn, me.id, AgentStatus.IDLE, current_task_id=None)


def _original_developer(task: Task) -> uuid.UUID | None:
    markers = task.orchestration_markers or {}
    dev = markers.get("original_developer")
    return uuid.UUID(dev) if isinstance(dev, str) else task.claimed_by


def _slug(team: Team) -> str:
    return team.value.replace("_", "-")


@asynccontextmanager
async def _autocommit(conn: Conn) -> AsyncIterator[Conn]:
    """Each statement outside ``conn.transaction()`` commits at once: no stray long
    transaction can hold a snapshot for an agent's whole day."""
    await conn.set_autocommit(True)
    try:
        yield conn
    finally:
        if not conn.closed and not conn.broken:
            await conn.set_autocommit(False)


def _first_error(group: BaseExceptionGroup[Any]) -> BaseException:
    error: BaseException = group
    while isinstance(error, BaseExceptionGroup):
        error = error.exceptions[0]
    return error


# -- the phases --------------------------------------------------------------------------------


async def _next_day(conn: Conn) -> int:
    """One more than the highest demo day on the database (its product slugs say which), past
    any day number an interrupted run already took for its pitch or projects."""
    highest, after = 0, None
    while True:
        page = await products.list_products(conn, after_slug=after, limit=500)
        for product in page:
            match = re.fullmatch(rf"{DEMO_PREFIX}(\d+)", product.slug)
            if match:
                highest = max(highest, int(match.group(1)))
        if len(page) < 500:
            break
        after = page[-1].slug
    day = highest + 1
    while await pitches.get_pitch_by_slug(conn, f"{DEMO_PREFIX}{day}") or any(
        [await projects.get_project_by_slug(conn, f"{DEMO_PREFIX}{day}-{_slug(c)}") for c in CELLS]
    ):
        day += 1
    return day


async def _close_interrupted_days(conn: Conn, ceo: Agent) -> int:
    """Cancel open tasks an interrupted demo day left; refuse anyone else's open tasks."""
    demo_projects = {p.id for p in await _all_projects(conn) if p.slug.startswith(DEMO_PREFIX)}
    demo_products: set[uuid.UUID] = set()
    after_slug = None
    while True:
        page = await products.list_products(conn, after_slug=after_slug, limit=500)
        demo_products |= {p.id for p in page if p.slug.startswith(DEMO_PREFIX)}
        if len(page) < 500:
            break
        after_slug = page[-1].slug
    open_tasks: list[Task] = []
    after: Task | None = None
    while True:
        page_tasks = await tasks.list_tasks(conn, status=_OPEN_STATUSES, after=after, limit=500)
        open_tasks += page_tasks
        if len(page_tasks) < 500:
            break
        after = page_tasks[-1]
    foreign = [
        t
        for t in open_tasks
        if t.project_id not in demo_projects and t.product_id not in demo_products
    ]
    if foreign:
        t = foreign[0]
        raise Conflict(
            f"the database has {len(foreign)} open task(s) the demo did not make (e.g. task "
            f"{t.id} '{t.title}', {t.status}); the demo drains the live claim queue, so run it "
            "on a database of its own"
        )
    cancelled = 0
    for task in sorted(open_tasks, key=lambda t: t.parent_task_id is not None):
        current = await tasks.get_task(conn, task.id)
        if current is None or current.status in TERMINAL:
            continue  # cancelled with its parent
        await transitions.transition(conn, task.id, S.CANCELLED, ceo)
        cancelled += 1
    return cancelled


async def _all_projects(conn: Conn) -> list[Any]:
    found: list[Any] = []
    after = None
    while True:
        page = await projects.list_projects(conn, after_slug=after, limit=500)
        found += page
        if len(page) < 500:
            return found
        after = page[-1].slug


async def _earlier_tokens(conn: Conn, box: SecretBox, today: str) -> tuple[int, int]:
    """How many tokens of earlier demo days today's key opens, and how many it does not."""
    readable = unreadable = 0
    for project in await _all_projects(conn):
        if not project.slug.startswith(DEMO_PREFIX) or project.slug.startswith(f"{today}-"):
            continue
        if not project.has_git_token:
            continue
        try:
            await projects.read_git_token(conn, project.id, box=box)
        except EncryptionError:
            unreadable += 1
        else:
            readable += 1
    return readable, unreadable


def _room(host: str, second: str, topic: str) -> Room:
    """A room of the day; its conversations are opened as its agents first speak."""
    return Room(host, second, topic)


def _planned(scale: int) -> dict[str, int]:
    per_feature = 0
    for (cell, index), fate in _FATES.items():
        per_feature += _SMOOTH_PATH + _EXTRA[fate] + ((cell, index) in _FROM_BACKLOG)
    per_feature += len(CELLS) * 1  # each spike: backlog -> cancelled
    per_feature += len(CELLS) * 3  # each cell task: claim, start, complete
    per_feature += 3  # the coordination task: claim, start, complete
    subtasks = len(_FATES)
    return {
        "features": scale,
        "tasks": scale * (1 + len(CELLS) + subtasks + len(CELLS)),
        "completed": scale * (1 + len(CELLS) + subtasks),
        "cancelled": scale * len(CELLS),
        "transitions": scale * per_feature,
        "revisions": scale
        * sum(f in (Fate.QA_FAIL, Fate.PR_FAIL, Fate.PM_REJECT) for f in _FATES.values()),
        "escalations": scale * sum(f is Fate.ESCALATE for f in _FATES.values()),
        "releases": scale * sum(f is Fate.RELEASE for f in _FATES.values()),
        "blocks": scale * sum(f in (Fate.WAIT_REPLY, Fate.ON_DECISION) for f in _FATES.values()),
        "agents": _CREW,
    }


async def run_day(
    url: str | None = None,
    *,
    scale: int = 1,
    settings: Settings | None = None,
    migrations_dir: Path | None = None,
    echo: Echo | None = None,
    timeout: float | None = None,
) -> DayReport:
    """Run one workday on the database at ``url`` (default: the configured one, else the
    embedded server) and return its report; ``echo`` gets the report's lines as phases end.

    The encryption key is ROBOCO_ENCRYPTION_KEY; without one the day runs under an ephemeral
    key it announces (its tokens will not open on a later day, which that day reports).
    Raises when the day cannot finish (a task still open after ``timeout`` seconds).
    """
    if scale < 1:
        raise RobocoSQLError(f"scale must be at least 1, got {scale}")
    settings = settings or Settings.from_env()
    say: Echo = echo or (lambda _line: None)
    began = time.perf_counter()
    target = url or resolve_url(settings, announce=None)
    where = (
        f"the embedded server in {settings.data_dir}"
        if url is None and settings.uses_embedded
        else describe(target)
    )
    report = DayReport(day=0, scale=scale, server=where)

    def phase(name: str, since: float, what: str, *notes: str) -> float:
        took = time.perf_counter() - since
        report.phases.append((name, took, what, list(notes)))
        for line in report.phase_lines(name, took, what, notes):
            say(line)
        return time.perf_counter()

    # -- boot: as the orchestrator does, then db-init ------------------------------------------
    t = time.perf_counter()
    migration = await init_db(url, settings=settings, migrations_dir=migrations_dir)
    pool = await open_pool(target, settings, min_size=2, max_size=_CREW + 4)
    try:
        async with connection(pool) as conn, _autocommit(conn):
            await bootstrap.seed(conn)  # db-init's rows; the schema is at head already
        rag_note = await _boot_rag(pool, settings, report)
        async with connection(pool) as conn, _autocommit(conn):
            report.day = await _next_day(conn)
            version = conn.info.server_version
            staff = {a.slug: a for a in await agents.list_agents(conn, limit=1000)}
            report.interrupted_tasks_cancelled = await _close_interrupted_days(conn, staff["ceo"])
        report.server = f"PostgreSQL {version // 10000}.{version % 10000}, {where}"
        say(report.header())
        applied = len(migration.applied)
        notes = [f"RAG is off: {report.rag.removeprefix('off: ')}; the day goes on without it"]
        if report.interrupted_tasks_cancelled:
            notes.append(
                f"cancelled {report.interrupted_tasks_cancelled} task(s) an interrupted "
                "earlier day left open"
            )
        t = phase(
            "boot",
            t,
            f"schema at {migration.to_revision}{f' (+{applied})' if applied else ''}; db-init: "
            f"{len(staff)} agents; {rag_note}",
            *notes[0 if not report.rag_enabled else 1 :],
        )

        # -- the board: pitch, approval, product and projects with their tokens -----------------
        report.started_at = dt.datetime.now(dt.UTC)
        notes = []
        if settings.encryption_key.strip():
            box = SecretBox.from_settings(settings)
            box.check()
            report.key = "ROBOCO_ENCRYPTION_KEY"
        else:
            box = SecretBox(generate_key())
            report.key = "ephemeral"
            notes.append("ROBOCO_ENCRYPTION_KEY is unset: the tokens use a key made for this run")
        day = Day(pool, report, box, staff)
        report.planned = _planned(scale)
        async with connection(pool) as conn, _autocommit(conn):
            readable, unreadable = await _earlier_tokens(conn, box, day.slug)
            report.earlier_tokens_readable, report.earlier_tokens_unreadable = readable, unreadable
            await _board(conn, day)
        if readable:
            notes.append(f"earlier days: {readable} token(s) open with today's key")
        if unreadable:
            notes += [
                f"earlier days: {unreadable} token(s) do NOT open with today's key: they were",
                "written under another one (ROBOCO_ENCRYPTION_KEY=new,old would read both)",
            ]
        t = phase(
            "board",
            t,
            f"pitch {day.slug} approved: product + 3 projects, tokens encrypted and read back",
            *notes,
        )

        # -- planning ----------------------------------------------------------------------------
        async with connection(pool) as conn, _autocommit(conn):
            deps, standup = await _plan(conn, day, scale)
        t = phase(
            "planning",
            t,
            f"main-pm: {scale} feature{'s' if scale > 1 else ''} -> {scale * len(CELLS)} cell "
            f"tasks -> {scale * len(_FATES)} subtasks + {scale * len(CELLS)} spikes, {deps} "
            "dependencies",
            f"a standup of {standup} A2A messages to main-pm",
        )

        # -- the workday -------------------------------------------------------------------------
        limit = timeout if timeout is not None else 120.0 + 30.0 * scale
        deadline = time.monotonic() + limit
        crew = day.roster()
        try:
            async with asyncio.TaskGroup() as group:
                for agent, key, step in crew:
                    group.create_task(day.work(agent, key, step, deadline))
        except BaseExceptionGroup as errors:
            raise _first_error(errors) from None
        if not day.done:
            async with connection(pool) as conn, _autocommit(conn):
                stuck = [
                    t
                    for f in day.features
                    for t in await graph.subtree(conn, f.coordination.id)
                    if t.status not in TERMINAL
                ]
            shown = "; ".join(f"{s.title} ({s.status})" for s in stuck[:5])
            raise RobocoSQLError(
                f"day {report.day} did not finish in {limit:g} s: {len(stuck)} task(s) open: "
                f"{shown}"
            )
        c = report.counts
        t = phase(
            "workday",
            t,
            f"{len(crew)} agents at once: {c['transitions']} transitions, {c['claims']} "
            f"claims, {c['revisions']} sent back, {c['escalations']} escalated",
        )

        # -- knowledge, wrap-up ------------------------------------------------------------------
        t = phase("knowledge", t, *await _knowledge(day))
        t = phase("wrap-up", t, await _wrap_up(day))
    finally:
        await pool.close()
    report.seconds = time.perf_counter() - began
    for line in ["", *report.summary_lines()]:
        say(line)
    return report


async def _boot_rag(pool: AsyncConnectionPool, settings: Settings, report: DayReport) -> str:
    """The knowledge base's tables, as the orchestrator's boot makes them; or why RAG is off."""
    status = await rag.rag_status(pool)
    if not status.enabled:
        report.rag = f"off: {status.reason}"
        return "RAG off"
    dims = settings.embedding_dimensions
    try:
        await rag.ensure_indexes(pool, dims, rag.MENTOR_TYPES)
    except rag.DimensionMismatch as exc:
        if exc.table_dimensions is None:
            report.rag = f"off: {exc}"
            return "RAG off"
        dims = exc.table_dimensions  # keep the tables as they are; embed to their width
        await rag.ensure_indexes(pool, dims, rag.MENTOR_TYPES)
    except RagDisabled as exc:
        report.rag = f"off: {exc}"
        return "RAG off"
    report.rag_enabled = True
    report.embedding_dimensions = dims
    report.rag = f"on: pgvector {status.version}, {dims} dimensions"
    return "RAG on"


async def _board(conn: Conn, day: Day) -> None:
    report = day.report
    theme, _ = _THEMES[(report.day - 1) % len(_THEMES)]
    owner, ceo = day.agent("product-owner"), day.agent("ceo")
    async with day.tx(conn):
        board = day.board = _room("product-owner", "ceo", f"{day.slug} board: Robo {theme}")
        pitch = await pitches.propose_pitch(
            conn,
            PitchCreate(
                title=f"Robo {theme}",
                slug=day.slug,
                problem=f"Customers drop off in {theme.lower()}; support tickets say why.",
                proposed_solution=f"Rebuild {theme.lower()} across design, API and client.",
                target_cells=list(CELLS),
                created_by=owner.id,
            ),
        )
        await day.say(
            conn,
            board,
            owner,
            f"Pitch: Robo {theme}. {pitch.problem} {pitch.proposed_solution}",
            kind=A2AMessageKind.RESPONSE,
        )
    async with day.tx(conn):  # approval provisions the product, all or nothing
        made = []
        for cell in CELLS:
            token = SecretStr(f"ghp_demo{secrets.token_hex(16)}")
            slug = f"{day.slug}-{_slug(cell)}"
            project = await projects.create_project(
                conn,
                ProjectCreate(
                    name=f"Robo {theme} ({cell.value})",
                    slug=slug,
                    git_url=f"https://git.example.com/roboco/{slug}.git",
                    default_branch="main",
                    git_token=token,
                    assigned_cell=cell,
                    created_by=ceo.id,
                    test_command="make test",
                ),
                box=day.box,
            )
            made.append(project)
            day.project_ids[cell] = project.id
            report.project_ids[cell.value] = project.id
            report.tokens[cell.value] = token
        product = await products.create_product(
            conn,
            ProductCreate(
                name=f"Robo {theme}, day {report.day}",
                slug=day.slug,
                description=pitch.proposed_solution,
                cells=[ProductCellMapping(team=p.assigned_cell, project_id=p.id) for p in made],
                created_by=ceo.id,
            ),
        )
        await pitches.approve_pitch(
            conn,
            pitch.id,
            decided_by=ceo.id,
            provisioned_product_id=product.product.id,
            provisioned_project_ids=[p.id for p in made],
            notes="Approved: start with the design, ship behind a flag.",
        )
        await day.say(
            conn,
            board,
            ceo,
            f"Approved Robo {theme}. Start with the design.",
            kind=A2AMessageKind.RESPONSE,
        )
        await day.write(
            conn,
            ceo,
            JournalEntryType.DECISION_LOG,
            f"Approved the {theme} pitch",
            f"Approved Robo {theme}: the support tickets make the case, and three cells can "
            "ship it in a day if UX/UI leads. Provisioned one project per cell.",
        )
    report.product_id, report.product_slug, report.pitch_id = product.product.id, day.slug, pitch.id
    for cell in CELLS:  # the orchestrator's explicit read, decrypted on demand
        read = await projects.read_git_token(conn, day.project(cell), box=day.box)
        if read is None or read.get_secret_value() != report.tokens[cell.value].get_secret_value():
            raise EncryptionError(f"project {day.slug}-{_slug(cell)}: its token did not read back")


async def _plan(conn: Conn, day: Day, scale: int) -> tuple[int, int]:
    """The Main PM's plan: coordination tasks, fan-out, subtasks, rooms. Dependencies made."""
    report = day.report
    theme, names = _THEMES[(report.day - 1) % len(_THEMES)]
    main = day.agent("main-pm")
    deps = 0
    async with day.tx(conn):
        rooms = {
            cell: _room(f"{_PREFIX[cell]}-pm", "main-pm", f"{day.slug} {cell.value}: Robo {theme}")
            for cell in CELLS
        }
        for k in range(scale):
            name = names[k % len(names)] + (f" #{k // len(names) + 1}" if k >= len(names) else "")
            coordination = await tasks.create_task(
                conn,
                TaskCreate(
                    title=f"Ship {name}",
                    description=f"Ship {name} for Robo {theme}: design, API and client.",
                    acceptance_criteria=[
                        f"{name} works end to end",
                        "documented for users",
                        "behind a feature flag",
                    ],
                    priority=1,
                    task_type=TaskType.PLANNING,
                    nature=TaskNature.TECHNICAL,
                    estimated_complexity=Complexity.HIGH,
                    team=Team.MAIN_PM,
                    product_id=report.product_id,
                    created_by=main.id,
                    source="pitch",
                ),
            )
            coordination = day.moved(await claims.claim(conn, coordination.id, main), "claims")
            coordination = await day.transition(conn, coordination, S.IN_PROGRESS, main)
            feature = Feature(name=name, coordination=coordination)
            children = await graph.fan_out(
                conn,
                coordination.id,
                list(CELLS),
                created_by=main.id,
                assignees={cell: day.cell_agent(cell, "pm").id for cell in CELLS},
            )
            for child in children:
                cell = child.team
                feature.children[cell] = child
                feature.rooms[cell] = rooms[cell]
                day.room_of[child.id] = rooms[cell]
                deps += len(child.dependency_ids)
                made: list[Task] = []
                for index, what in enumerate(_WORK[cell]):
                    waits = list(child.dependency_ids)  # the design, for backend and frontend
                    if index == 2:
                        waits += [t.id for t in made]  # the third needs the first two
                    deps += len(waits)
                    backlog = (cell, index) in _FROM_BACKLOG
                    sub = await tasks.create_task(
                        conn,
                        TaskCreate(
                            title=f"{what} for {name}",
                            description=f"{what} for {name} ({cell.value}), per the pitch.",
                            acceptance_criteria=[f"{what} reviewed", "tests or checks pass"],
                            status=S.BACKLOG if backlog else S.PENDING,
                            priority=2,
                            task_type=TaskType.DESIGN if cell is Team.UX_UI else TaskType.CODE,
                            nature=TaskNature.TECHNICAL,
                            estimated_complexity=Complexity.MEDIUM,
                            team=cell,
                            project_id=child.project_id,
                            created_by=main.id,
                            parent_task_id=child.id,
                            dependency_ids=waits,
                            sequence=index,
                        ),
                    )
                    made.append(sub)
                    day.fates[sub.id] = _FATES[(cell, index)]
                    day.room_of[sub.id] = rooms[cell]
                    if backlog:
                        day.from_backlog.append(sub)
                feature.subtasks[cell] = made
                spike = await tasks.create_task(
                    conn,
                    TaskCreate(
                        title=f"Spike: offline mode for {name}",
                        description="Explore offline support; likely out of scope today.",
                        acceptance_criteria=["a written recommendation"],
                        status=S.BACKLOG,
                        priority=3,
                        task_type=TaskType.RESEARCH,
                        nature=TaskNature.TECHNICAL,
                        estimated_complexity=Complexity.LOW,
                        team=cell,
                        project_id=child.project_id,
                        created_by=main.id,
                        parent_task_id=child.id,
                        sequence=len(_WORK[cell]),
                    ),
                )
                feature.spikes.append(spike)
                day.room_of[spike.id] = rooms[cell]
            day.features.append(feature)
            report.coordination_ids.append(coordination.id)
        for cell in CELLS:
            await day.say(
                conn,
                rooms[cell],
                main,
                f"Today in {cell.value}: {scale * len(_WORK[cell])} tasks for Robo {theme}. "
                + ("UX/UI leads; " if cell is Team.UX_UI else "you start once UX/UI lands; ")
                + "claim with give_me_work().",
            )
        await day.announce(
            conn,
            main,
            f"Day {report.day}: Robo {theme}",
            f"Day {report.day}: Robo {theme} is approved. {scale} feature(s) ship today.",
        )
        developers = [a for a in day.staff.values() if a.role is AgentRole.DEVELOPER]
        await day.notify(
            conn,
            main,
            developers,
            NotificationType.TASK_ASSIGNMENT,
            f"Day {report.day}: Robo {theme}",
            body="The plan is with your cell PM.",
        )
        await day.write(
            conn,
            main,
            JournalEntryType.DECISION_LOG,
            f"Planned Robo {theme}",
            f"Planned Robo {theme} as {scale} feature(s), each fanned out to UX/UI, backend and "
            "frontend with three subtasks a cell; the implementation cells wait on the design.",
        )
    # the standup: every agent tells the Main PM what it is on today
    standup = _room("main-pm", "ceo", f"{day.slug} standup")
    crew = [a for a in day.staff.values() if a.role is not AgentRole.SYSTEM]
    async with day.tx(conn):
        for a in crew:
            await day.say(conn, standup, a, f"{a.name}: on Robo {theme} today.")
    loaded = len(crew)
    report.task_ids = [
        t.id
        for f in day.features
        for t in [
            f.coordination,
            *f.children.values(),
            *(s for subs in f.subtasks.values() for s in subs),
            *f.spikes,
        ]
    ]
    return deps, loaded


async def _knowledge(day: Day) -> tuple[str, ...]:
    """The day's journal entries into the knowledge base, then mentor lookups."""
    report = day.report
    entries = sum(len(v) for v in day.entries.values())
    report.counts["journal_authors"] = len(day.entries)
    if not report.rag_enabled:
        return (f"{entries} journal entries kept; the knowledge base is off",)
    dims = report.embedding_dimensions
    by_id = {a.id: a for a in day.staff.values()}
    loads = []
    for agent_id, written in day.entries.items():
        agent = by_id[agent_id]
        for kind in rag.MENTOR_TYPES:  # learnings to their own index, the rest to journals
            chosen = [
                e
                for e in written
                if (e.type is JournalEntryType.LEARNING) == (kind is IndexType.LEARNINGS)
            ]
            if not chosen:
                continue
            chunks = [
                rag.ChunkIn(
                    content=f"{e.title}\n\n{e.content}",
                    embedding=hash_embedding(f"{e.title} {e.content}", dims),
                    metadata={
                        "agent_id": str(agent_id),
                        "entry_id": str(e.id),
                        "type": e.type.value,
                        "task_id": str(e.task_id) if e.task_id else None,
                        "day": report.day,
                    },
                )
                for e in chosen
            ]
            report.counts["chunks"] += len(chunks)
            loads.append(
                rag.replace_source(
                    day.pool,
                    kind,
                    f"{kind.value}/{agent.slug}/{day.slug}",
                    chunks,
                    title=f"{agent.name}, day {report.day}",
                    extra_data={"agent_id": str(agent_id), "day": report.day},
                )
            )
    await asyncio.gather(*loads)
    reworked = next(
        (
            day.staff_by_id(a)
            for a, written in day.entries.items()
            if any(e.type is JournalEntryType.STRUGGLE for e in written)
        ),
        day.agent("ux-dev-1"),
    )
    questions = {  # the embedder matches words, so the questions use the entries' words
        reworked.slug: "the review sent it back for revision; what did I fix",
        "ux-qa": "layout overflows on narrow screens at 320 px",
        "ceo": "approved the pricing change; billing tests cover the edge cases",
    }
    notes = []
    for slug, question in questions.items():
        agent = day.agent(slug)
        hits = await rag.mentor_lookup(day.pool, agent.id, hash_embedding(question, dims), k=3)
        if any(h.metadata.get("agent_id") != str(agent.id) for h in hits):
            raise RobocoSQLError(f"mentor lookup for {slug} returned another agent's entries")
        best = hits[0].content.splitlines()[0] if hits else None
        report.mentor.append(
            {
                "agent": slug,
                "question": question,
                "hits": len(hits),
                "best": best,
                "score": round(hits[0].score, 4) if hits else None,
            }
        )
        notes.append(
            f"{slug}: {len(hits)} own entries, best {best!r} ({hits[0].score:.2f})"
            if hits
            else f"{slug}: nothing found"
        )
    return (
        f"{entries} journal entries -> {report.counts['chunks']} chunks ({dims} dimensions); "
        "mentor lookups:",
        *notes,
    )


async def _wrap_up(day: Day) -> str:
    """Close the day's conversations, sweep for stale claims, check the audit log, count what's
    left."""
    report = day.report
    c = report.counts
    main = day.agent("main-pm")
    async with connection(day.pool) as conn, _autocommit(conn):
        assert day.board is not None
        await day.say(
            conn,
            day.board,
            main,
            f"Day {report.day} is done: {len(report.task_ids)} tasks closed, "
            f"{c['escalations']} approved by the CEO.",
            mentions=[day.agent("ceo")],
        )
        for conversation_id in day.conversations.values():
            await a2a.close_conversation(conn, conversation_id, resolution="end of the day")
        reaped = await claims.reap_stale_claims(conn, dt.timedelta(hours=1))
        left_open = 0
        seen: set[uuid.UUID] = set()
        for cell in CELLS:
            for ws in await work_sessions.list_work_sessions(
                conn, project_id=day.project(cell), limit=1000
            ):
                seen.add(ws.id)
                if ws.status is WorkSessionStatus.ACTIVE:
                    await work_sessions.close_work_session(conn, ws.id)
                    left_open += 1
        c["work_sessions"] = len(seen)
        c["conversations"] = len(day.conversations)
        statuses: Counter[str] = Counter()
        audited = 0
        for feature in day.features:
            for task in await graph.subtree(conn, feature.coordination.id):
                statuses[task.status.value] += 1
                audited += len(
                    await audit.list_audit_log(
                        conn, target_type="task", target_id=task.id, limit=1000
                    )
                )
        report.tasks_by_status = dict(statuses)
    still_open = sum(n for s, n in statuses.items() if S(s) not in TERMINAL)
    if still_open:
        raise RobocoSQLError(f"day {report.day} ended with {still_open} task(s) still open")
    if audited != c["transitions"]:
        raise RobocoSQLError(
            f"day {report.day}: {c['transitions']} status changes but {audited} audit rows"
        )
    return (
        f"{audited} audit rows for {c['transitions']} transitions; {len(reaped)} stale claims, "
        f"{left_open} work sessions open"
    )
