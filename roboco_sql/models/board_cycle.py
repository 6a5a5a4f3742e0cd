"""Board Program cycles: the LEARN ledger, one row per cycle a program (roadmap, ...) opens."""

from __future__ import annotations

import uuid

from pydantic import AwareDatetime, Field, JsonValue

from roboco_sql.models.base import Input, JsonArray, Row

__all__ = ["BoardDecision", "BoardProgramCycle"]

PROGRAM_KEY_MAX = 40


class BoardProgramCycle(Row):
    """Row of ``board_program_cycles``; ``decisions`` is a json (not jsonb) array of
    ``{item_ref, verdict, reason[, item_snapshot]}``, appended to and never rewritten."""

    __table__ = "board_program_cycles"

    id: uuid.UUID
    program_key: str
    exploration_task_id: uuid.UUID | None
    opened_at: AwareDatetime
    closed_at: AwareDatetime | None
    items_proposed: int
    items_approved: int
    items_rejected: int
    decisions: JsonArray
    nothing_to_propose_reason: str | None


class BoardDecision(Input):
    """One CEO verdict on one item a cycle proposed."""

    __table__ = "board_program_cycles"

    item_ref: str = Field(min_length=1)
    verdict: str = Field(min_length=1)
    reason: str | None = None
    item_snapshot: dict[str, JsonValue] | None = None

    def entry(self) -> dict[str, JsonValue]:
        """The decisions element: the snapshot key only when there is one."""
        doc: dict[str, JsonValue] = {
            "item_ref": self.item_ref,
            "verdict": self.verdict,
            "reason": self.reason,
        }
        if self.item_snapshot:
            doc["item_snapshot"] = self.item_snapshot
        return doc
