"""A task's orchestration markers: the closed vocabulary of keys RoboCo keeps in
``tasks.orchestration_markers``, the shape each key's value takes, and the checks a value
passes before it is written (models.task re-exports every name, their historic home)."""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Final

from pydantic import JsonValue

from roboco_sql.models.base import JsonObject, unstorable


class Marker(StrEnum):
    """Every key RoboCo v0.29.0 keeps in ``tasks.orchestration_markers``: a closed vocabulary
    (RoboCo writes the column only through one accessor module, with these constants)."""

    ORIGINAL_DEVELOPER = "original_developer"
    DOCUMENTER = "documenter"
    REQUIRED_CELLS = "required_cells"
    EXTERNAL_PR_HEAD = "external_pr_head"
    EXTERNAL_PR_AUTHOR = "external_pr_author"
    EXTERNAL_PR_SUPERSEDE = "external_pr_supersede"
    SELF_HEAL_FP = "self_heal_fp"
    DISMISSED = "dismissed"
    ESCALATION = "escalation"
    APPROVE_AND_START_NOTES = "approve_and_start_notes"
    RELEASE_REPORT = "release_report"
    RELEASE_REQUIRED_CHANGES = "release_required_changes"
    RELEASE_EXECUTE_STATUS = "release_execute_status"
    RELEASE_EXECUTE_DETAIL = "release_execute_detail"
    X_DRAFT_BODY = "x_draft_body"
    X_RELEASE_VERSION = "x_release_version"
    X_MENTION_REF = "x_mention_ref"
    X_REJECT_REASON = "x_reject_reason"
    X_POSTED_TWEET_ID = "x_posted_tweet_id"
    X_FEATURE_REF = "x_feature_ref"
    X_EDITORIAL_REF = "x_editorial_ref"
    X_SEEN_FEATURES = "x_seen_features"
    X_SPOTLIGHT_BRIEF = "x_spotlight_brief"
    X_SPOTLIGHT_SKIP_REASON = "x_spotlight_skip_reason"
    X_CAMPAIGN_REF = "x_campaign_ref"
    ROADMAP_CYCLE = "roadmap_cycle"
    PEST_HUNT = "pest_hunt"
    MARKET_BRIEF = "market_brief"
    CORONER_INCIDENT = "coroner_incident"
    CORONER_POSTMORTEM = "coroner_postmortem"
    QUALITY_REPORT = "quality_report"
    GAP_FILL = "gap_fill"
    MESSAGING_FIXES = "messaging_fixes"
    FRICTION_FIXES = "friction_fixes"
    VIDEO_DRAFT = "video_draft"
    VIDEO_REJECT_REASON = "video_reject_reason"
    RENDER_PREVIEW = "render_preview"
    VAULT_CURATION_DISPATCHED = "vault_curation_dispatched"
    VAULT_NOTE_REF = "vault_note_ref"
    DOCS_SYNC_RELEASE_VERSION = "docs_sync_release_version"
    REBALANCE_PLAN = "rebalance_plan"
    PLAYBOOK_DRAFTS = "playbook_drafts"
    WAR_ROOM_BRIEF = "war_room_brief"
    BARFLY_CANDIDATES = "barfly_candidates"
    BARFLY_REPLY_REF = "barfly_reply_ref"
    PR_WAIVED = "pr_waived"
    BRANCH_PENDING = "branch_pending"
    SUPERSEDE_COMMENT_POSTED = "supersede_comment_posted"
    BRANCH_CUT_FAILED = "branch_cut_failed"
    BRANCH_CUT_NEXT_RETRY_AT = "branch_cut_next_retry_at"
    TRANSITION_NOTES = "transition_notes"
    RESUBMIT_UNCHANGED_HEAD = "resubmit_unchanged_head"
    BLOCK_FLIP_COUNT = "block_flip_count"
    BUDGET_BLOCKED = "budget_blocked"
    OSCILLATION_STRIKES = "oscillation_strikes"


class MarkerShape(StrEnum):
    """What a marker's value is, as RoboCo's accessors write it."""

    TEXT = "text"  # a string
    AGENT = "agent"  # an agent id, stored as its text
    FLAG = "flag"  # true (cleared by removing the key, never written false)
    COUNT = "count"  # a non-negative integer
    EPOCH = "epoch"  # seconds since the epoch
    OBJECT = "object"  # a JSON object
    TEXT_LIST = "text_list"  # a list of strings
    OBJECT_LIST = "object_list"  # a list of JSON objects


_M, _S = Marker, MarkerShape
MARKER_SHAPES: Final[Mapping[Marker, MarkerShape]] = {
    _M.ORIGINAL_DEVELOPER: _S.AGENT,
    _M.DOCUMENTER: _S.AGENT,
    _M.REQUIRED_CELLS: _S.TEXT_LIST,
    _M.EXTERNAL_PR_HEAD: _S.TEXT,
    _M.EXTERNAL_PR_AUTHOR: _S.TEXT,
    _M.EXTERNAL_PR_SUPERSEDE: _S.TEXT,
    _M.SELF_HEAL_FP: _S.TEXT,
    _M.DISMISSED: _S.FLAG,
    _M.ESCALATION: _S.OBJECT,
    _M.APPROVE_AND_START_NOTES: _S.TEXT,
    _M.RELEASE_REPORT: _S.OBJECT,
    _M.RELEASE_REQUIRED_CHANGES: _S.TEXT,
    _M.RELEASE_EXECUTE_STATUS: _S.TEXT,
    _M.RELEASE_EXECUTE_DETAIL: _S.TEXT,
    _M.X_DRAFT_BODY: _S.TEXT,
    _M.X_RELEASE_VERSION: _S.TEXT,
    _M.X_MENTION_REF: _S.OBJECT,
    _M.X_REJECT_REASON: _S.TEXT,
    _M.X_POSTED_TWEET_ID: _S.TEXT,
    _M.X_FEATURE_REF: _S.OBJECT,
    _M.X_EDITORIAL_REF: _S.OBJECT,
    _M.X_SEEN_FEATURES: _S.TEXT_LIST,
    _M.X_SPOTLIGHT_BRIEF: _S.OBJECT,
    _M.X_SPOTLIGHT_SKIP_REASON: _S.TEXT,
    _M.X_CAMPAIGN_REF: _S.OBJECT,
    _M.ROADMAP_CYCLE: _S.OBJECT,
    _M.PEST_HUNT: _S.OBJECT,
    _M.MARKET_BRIEF: _S.OBJECT,
    _M.CORONER_INCIDENT: _S.OBJECT,
    _M.CORONER_POSTMORTEM: _S.OBJECT,
    _M.QUALITY_REPORT: _S.OBJECT,
    _M.GAP_FILL: _S.OBJECT,
    _M.MESSAGING_FIXES: _S.OBJECT,
    _M.FRICTION_FIXES: _S.OBJECT,
    _M.VIDEO_DRAFT: _S.OBJECT,
    _M.VIDEO_REJECT_REASON: _S.TEXT,
    _M.RENDER_PREVIEW: _S.OBJECT,
    _M.VAULT_CURATION_DISPATCHED: _S.FLAG,
    _M.VAULT_NOTE_REF: _S.OBJECT,
    _M.DOCS_SYNC_RELEASE_VERSION: _S.TEXT,
    _M.REBALANCE_PLAN: _S.OBJECT,
    _M.PLAYBOOK_DRAFTS: _S.OBJECT,
    _M.WAR_ROOM_BRIEF: _S.OBJECT,
    _M.BARFLY_CANDIDATES: _S.OBJECT_LIST,
    _M.BARFLY_REPLY_REF: _S.OBJECT,
    _M.PR_WAIVED: _S.FLAG,
    _M.BRANCH_PENDING: _S.FLAG,
    _M.SUPERSEDE_COMMENT_POSTED: _S.FLAG,
    _M.BRANCH_CUT_FAILED: _S.COUNT,
    _M.BRANCH_CUT_NEXT_RETRY_AT: _S.EPOCH,
    _M.TRANSITION_NOTES: _S.OBJECT,
    _M.RESUBMIT_UNCHANGED_HEAD: _S.TEXT,
    _M.BLOCK_FLIP_COUNT: _S.OBJECT,
    _M.BUDGET_BLOCKED: _S.FLAG,
    _M.OSCILLATION_STRIKES: _S.OBJECT,
}


def json_texts(value: object) -> list[str]:
    """Every string in a JSON-like value, object keys included, in document order (to check
    each is storable); walked with an explicit stack, so a 1000-deep value is walked, not a
    RecursionError."""
    texts: list[str] = []
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            texts.append(node)
        elif isinstance(node, dict):
            for key, item in reversed(node.items()):
                stack += (item, key)
        elif isinstance(node, list | tuple):
            stack.extend(reversed(node))
    return texts


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_epoch(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


_SHAPE_OK: Final[Mapping[MarkerShape, Callable[[object], bool]]] = {
    MarkerShape.TEXT: lambda v: isinstance(v, str),
    MarkerShape.FLAG: lambda v: v is True,
    MarkerShape.COUNT: _is_count,
    MarkerShape.EPOCH: _is_epoch,
    MarkerShape.OBJECT: lambda v: isinstance(v, dict),
    MarkerShape.TEXT_LIST: lambda v: (
        isinstance(v, list | tuple) and all(isinstance(i, str) for i in v)
    ),
    MarkerShape.OBJECT_LIST: lambda v: (
        isinstance(v, list | tuple) and all(isinstance(i, dict) for i in v)
    ),
}


def _agent_text(key: str, value: object) -> str:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, str):
        try:
            return str(uuid.UUID(value))
        except ValueError:
            pass
    raise ValueError(f"marker {key} takes an agent id, not {value!r}")


def marker_value(key: str, value: object) -> JsonValue:
    """The JSON value stored for marker ``key``; ValueError naming the key when ``value`` does
    not have the shape RoboCo's accessor for that key writes (or the key is not RoboCo's)."""
    try:
        marker = Marker(key)
    except ValueError:
        raise ValueError(f"{key!r} is not an orchestration marker RoboCo uses") from None
    shape = MARKER_SHAPES[marker]
    if shape is MarkerShape.AGENT:
        return _agent_text(key, value)
    if not _SHAPE_OK[shape](value):
        raise ValueError(f"marker {key} takes {shape.value}, not {type(value).__name__}")
    stored: JsonValue = list(value) if isinstance(value, tuple) else value  # type: ignore[assignment]
    for text in json_texts(stored):
        reason = unstorable(text)
        if reason is not None:
            raise ValueError(f"marker {key} {reason}")
    return stored


def marker_values(markers: Mapping[str, object]) -> JsonObject:
    """Every marker of ``markers`` checked by :func:`marker_value`."""
    return {str(k): marker_value(k, v) for k, v in markers.items()}
