"""One workday's shared state: the plan's tasks and their fates, who moved what, who to wake.

The agents' steps (developers, reviews, managers) read and move the day through :class:`Day`;
every status change goes through :meth:`Day.transition` or :meth:`Day.moved`, which count it
(one audit row each) and wake the agents that act on the task next.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from psycopg_pool import AsyncConnectionPool

from roboco_sql.crypto import SecretBox
from roboco_sql.errors import RobocoSQLError
from roboco_sql.lifecycle import TERMINAL
from roboco_sql.models.agent import Agent
from roboco_sql.models.enums import TaskStatus, Team
from roboco_sql.models.task import Task
from roboco_sql.repos import tasks, transitions

from .cast import CREW, DEMO_PREFIX, PREFIX, Fate
from .report import DayReport
from .talk import Conn, Room, Talk
from .words import Words

S = TaskStatus
Key = tuple[str, Team | None]
"""Who a wake-up is for: a role ("dev", "qa", "doc", "pr", "pm", "main", "ceo") and its cell."""
_PENDING: ContextVar[list[Task] | None] = ContextVar("_PENDING", default=None)


@contextmanager
def _collecting() -> Iterator[list[Task]]:
    """The tasks this agent moves meanwhile, collected (for Day.tx to wake) instead of woken."""
    pending: list[Task] = []
    token = _PENDING.set(pending)
    try:
        yield pending
    finally:
        _PENDING.reset(token)


@dataclass
class Feature:
    name: str
    coordination: Task
    children: dict[Team, Task] = field(default_factory=dict)
    subtasks: dict[Team, list[Task]] = field(default_factory=dict)
    spikes: list[Task] = field(default_factory=list)
    rooms: dict[Team, Room] = field(default_factory=dict)


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
        self.talk = Talk(pool, self.count, self.slug, [staff[slug] for slug, _, _ in CREW])
        self.signals = _Signals()
        self.done = False
        self.pr_numbers = 0  # PR numbers count per project, and the projects are new each day
        self.started_pms: set[uuid.UUID] = set()

    # -- lookups -------------------------------------------------------------------------------

    def agent(self, slug: str) -> Agent:
        return self.staff[slug]

    def cell_agent(self, team: Team, role: str) -> Agent:
        return self.staff[f"{PREFIX[team]}-{role}"]

    def staff_by_id(self, agent_id: uuid.UUID | None) -> Agent:
        for agent in self.staff.values():
            if agent.id == agent_id:
                return agent
        raise RobocoSQLError(f"agent {agent_id} is not on the roster")

    def project(self, team: Team) -> uuid.UUID:
        return self.project_ids[team]

    def feature_of(self, task: Task) -> Feature:
        for feature in self.features:
            for team, subtasks in feature.subtasks.items():
                if team == task.team and any(s.id == task.id for s in subtasks):
                    return feature
        raise RobocoSQLError(f"task {task.id} belongs to no feature of the day")

    def fate(self, task_id: uuid.UUID) -> Fate:
        return self.fates.get(task_id, Fate.SMOOTH)

    def spend(self, task_id: uuid.UUID, *fates: Fate) -> bool:
        """True the first time the task meets one of these fates; it is spent then."""
        if self.fate(task_id) in fates and task_id not in self.fates_spent:
            self.fates_spent.add(task_id)
            return True
        return False

    # -- moves ---------------------------------------------------------------------------------

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
        with _collecting() as pending:
            async with conn.transaction():
                yield
        for task in pending:
            self.wake(task)

    def wake(self, task: Task) -> None:
        team = task.team if task.team in PREFIX else None
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

    async def speak(
        self,
        conn: Conn,
        me: Agent,
        words: Words,
        task: Task | None = None,
        *,
        room: Room | None = None,
        to: Agent | None = None,
        **fields: object,
    ) -> None:
        """Talk.speak, said in the task's room unless another is given."""
        if room is None and task is not None and words.say:
            room = self.room_of[task.id]
        await self.talk.speak(conn, me, words, room=room, task=task, to=to, **fields)

    async def each_waiting(
        self,
        conn: Conn,
        status: TaskStatus,
        team: Team,
        act: Callable[[Task], Awaitable[bool]],
        *,
        limit: int = 20,
    ) -> bool:
        """`act` on each of the cell's tasks waiting at `status`, oldest first, in one
        transaction; True if it acted on any."""
        did = False
        async with self.tx(conn):
            for task in await self.waiting_in(conn, status, team, limit=limit):
                did = await act(task) or did
        return did

    async def waiting_in(
        self, conn: Conn, status: TaskStatus, team: Team, limit: int = 20
    ) -> list[Task]:
        found = await tasks.list_tasks(
            conn, status=status, project_id=self.project(team), limit=limit
        )
        return sorted(found, key=lambda t: (t.created_at, t.id))


def original_developer(task: Task) -> uuid.UUID | None:
    """Who built the task first (a revision goes back to them, whoever holds it now)."""
    markers = task.orchestration_markers or {}
    dev = markers.get("original_developer")
    return uuid.UUID(dev) if isinstance(dev, str) else task.claimed_by
