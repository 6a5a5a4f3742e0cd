"""The 23 PostgreSQL enum types, label for label and in the database's own order.

Member values are the labels stored in the database; the order is the order a fresh migration
chain produces (labels added later by ``ALTER TYPE ... ADD VALUE`` sit at the end), which is
what ``ORDER BY`` on an enum column sorts by.
"""

from __future__ import annotations

from enum import StrEnum


class A2AConversationStatus(StrEnum):
    """PostgreSQL type ``a2aconversationstatus``."""

    ACTIVE = "active"
    PAUSED = "paused"
    CLOSED = "closed"


class A2AMessageKind(StrEnum):
    """PostgreSQL type ``a2amessagekind``."""

    MESSAGE = "message"
    REQUEST = "request"
    RESPONSE = "response"
    SYSTEM = "system"


class AgentRole(StrEnum):
    """PostgreSQL type ``agentrole``.

    Database order, not RoboCo's Python order: roles were appended as they were introduced.
    """

    CEO = "ceo"
    PRODUCT_OWNER = "product_owner"
    HEAD_MARKETING = "head_marketing"
    AUDITOR = "auditor"
    MAIN_PM = "main_pm"
    CELL_PM = "cell_pm"
    DEVELOPER = "developer"
    QA = "qa"
    DOCUMENTER = "documenter"
    SYSTEM = "system"
    PROMPTER = "prompter"
    SECRETARY = "secretary"
    PR_REVIEWER = "pr_reviewer"


class AgentStatus(StrEnum):
    """PostgreSQL type ``agentstatus``."""

    ACTIVE = "active"
    IDLE = "idle"
    OFFLINE = "offline"


class AssignmentScope(StrEnum):
    """PostgreSQL type ``assignmentscope``."""

    GLOBAL = "global"
    ROLE = "role"
    AGENT_SLUG = "agent_slug"


class BlockerResolverType(StrEnum):
    """PostgreSQL type ``blockerresolvertype``."""

    AGENT = "agent"
    HUMAN = "human"


class ChannelType(StrEnum):
    """PostgreSQL type ``channeltype``."""

    CELL = "cell"
    CROSS_CELL = "cross_cell"
    MANAGEMENT = "management"
    SPECIAL = "special"


class Complexity(StrEnum):
    """PostgreSQL type ``complexity``."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class HandoffStatus(StrEnum):
    """PostgreSQL type ``handoffstatus``.

    Database order: ``accepted`` was backfilled after ``completed`` by migration 020.
    """

    PENDING = "pending"
    CLAIMED = "claimed"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    ACCEPTED = "accepted"


class JournalEntryType(StrEnum):
    """PostgreSQL type ``journalentrytype``."""

    TASK_REFLECTION = "task_reflection"
    DECISION_LOG = "decision_log"
    LEARNING = "learning"
    STRUGGLE = "struggle"
    GENERAL = "general"


class MessageType(StrEnum):
    """PostgreSQL type ``messagetype``."""

    REASONING = "reasoning"
    DIALOGUE = "dialogue"
    DECISION = "decision"
    ACTION = "action"
    BLOCKER = "blocker"
    TECHNICAL = "technical"


class ModelProvider(StrEnum):
    """PostgreSQL type ``modelprovider``."""

    ANTHROPIC = "anthropic"
    OLLAMA_CLOUD = "ollama_cloud"
    OPENAI = "openai"
    LOCAL = "local"
    GROK = "grok"
    GEMINI = "gemini"  # 084
    KIMI = "kimi"  # 090


class NotificationPriority(StrEnum):
    """PostgreSQL type ``notificationpriority``."""

    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class NotificationType(StrEnum):
    """PostgreSQL type ``notificationtype``.

    Database order: ``approval`` and the last three were appended after ``broadcast``.
    """

    TASK_ASSIGNMENT = "task_assignment"
    PRIORITY_CHANGE = "priority_change"
    BLOCKER_ESCALATION = "blocker_escalation"
    REVIEW_REQUEST = "review_request"
    DOCUMENTATION_REQUEST = "documentation_request"
    ALERT = "alert"
    BROADCAST = "broadcast"
    APPROVAL = "approval"
    A2A_REQUEST = "a2a_request"
    KNOWLEDGE_SHARE = "knowledge_share"
    MENTION = "mention"


class PrompterMessageRole(StrEnum):
    """PostgreSQL type ``promptermessagerole``."""

    USER = "user"
    ASSISTANT = "assistant"
    SYSTEM = "system"


class PrompterSessionStatus(StrEnum):
    """PostgreSQL type ``promptersessionstatus``."""

    ACTIVE = "active"
    DRAFT_READY = "draft_ready"
    CONFIRMED = "confirmed"
    ABANDONED = "abandoned"


class SessionScope(StrEnum):
    """PostgreSQL type ``sessionscope``."""

    INITIATIVE = "initiative"
    CELL = "cell"
    TASK = "task"


class SessionStatus(StrEnum):
    """PostgreSQL type ``sessionstatus``."""

    ACTIVE = "active"
    CLOSED = "closed"
    TIMED_OUT = "timed_out"


class TaskNature(StrEnum):
    """PostgreSQL type ``tasknature``."""

    TECHNICAL = "technical"
    NON_TECHNICAL = "non_technical"


class TaskStatus(StrEnum):
    """PostgreSQL type ``taskstatus``.

    ``awaiting_pr_review`` was appended last by migration 040, so it sorts after ``cancelled``.
    """

    BACKLOG = "backlog"
    PENDING = "pending"
    CLAIMED = "claimed"
    IN_PROGRESS = "in_progress"
    BLOCKED = "blocked"
    PAUSED = "paused"
    VERIFYING = "verifying"
    NEEDS_REVISION = "needs_revision"
    AWAITING_QA = "awaiting_qa"
    AWAITING_DOCUMENTATION = "awaiting_documentation"
    AWAITING_PM_REVIEW = "awaiting_pm_review"
    AWAITING_CEO_APPROVAL = "awaiting_ceo_approval"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    AWAITING_PR_REVIEW = "awaiting_pr_review"


class TaskType(StrEnum):
    """PostgreSQL type ``tasktype``."""

    CODE = "code"
    DOCUMENTATION = "documentation"
    RESEARCH = "research"
    PLANNING = "planning"
    DESIGN = "design"
    ADMINISTRATIVE = "administrative"


class Team(StrEnum):
    """PostgreSQL type ``team``.

    Database order: ``fullstack`` and ``system`` were backfilled at the end by migration 020.
    """

    BACKEND = "backend"
    FRONTEND = "frontend"
    UX_UI = "ux_ui"
    MAIN_PM = "main_pm"
    BOARD = "board"
    MARKETING = "marketing"
    FULLSTACK = "fullstack"
    SYSTEM = "system"


class WorkSessionStatus(StrEnum):
    """PostgreSQL type ``worksessionstatus``."""

    ACTIVE = "active"
    COMPLETED = "completed"
    ABANDONED = "abandoned"


CELL_TEAMS: frozenset[Team] = frozenset({Team.BACKEND, Team.FRONTEND, Team.UX_UI})
"""The three delivery cells; products map one project per cell and pitches target cells."""

PG_ENUMS: dict[str, type[StrEnum]] = {
    "a2aconversationstatus": A2AConversationStatus,
    "a2amessagekind": A2AMessageKind,
    "agentrole": AgentRole,
    "agentstatus": AgentStatus,
    "assignmentscope": AssignmentScope,
    "blockerresolvertype": BlockerResolverType,
    "channeltype": ChannelType,
    "complexity": Complexity,
    "handoffstatus": HandoffStatus,
    "journalentrytype": JournalEntryType,
    "messagetype": MessageType,
    "modelprovider": ModelProvider,
    "notificationpriority": NotificationPriority,
    "notificationtype": NotificationType,
    "promptermessagerole": PrompterMessageRole,
    "promptersessionstatus": PrompterSessionStatus,
    "sessionscope": SessionScope,
    "sessionstatus": SessionStatus,
    "tasknature": TaskNature,
    "taskstatus": TaskStatus,
    "tasktype": TaskType,
    "team": Team,
    "worksessionstatus": WorkSessionStatus,
}

__all__ = [
    "CELL_TEAMS",
    "PG_ENUMS",
    "A2AConversationStatus",
    "A2AMessageKind",
    "AgentRole",
    "AgentStatus",
    "AssignmentScope",
    "BlockerResolverType",
    "ChannelType",
    "Complexity",
    "HandoffStatus",
    "JournalEntryType",
    "MessageType",
    "ModelProvider",
    "NotificationPriority",
    "NotificationType",
    "PrompterMessageRole",
    "PrompterSessionStatus",
    "SessionScope",
    "SessionStatus",
    "TaskNature",
    "TaskStatus",
    "TaskType",
    "Team",
    "WorkSessionStatus",
]
