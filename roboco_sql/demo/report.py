"""The day's report: what happened, as lines for a terminal and as data for ``--json``."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import SecretStr

from roboco_sql.lifecycle import TERMINAL
from roboco_sql.models.enums import TaskStatus


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
        still_open = sum(
            n for s, n in self.tasks_by_status.items() if TaskStatus(s) not in TERMINAL
        )
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
