"""The 23 PostgreSQL enum types, label for label and in the database's own order.

Member values are the labels stored in the database; the order is the order a fresh migration
chain produces (labels added later by ``ALTER TYPE ... ADD VALUE`` sit at the end), which is
what ``ORDER BY`` on an enum column sorts by.

Each type is built from its member names by ``StrEnum``'s functional form, which makes every
label its name in lower case: the rule all of RoboCo's enums follow, so the labels are written
once. ``PG_ENUMS`` names each one's PostgreSQL type.
"""

from __future__ import annotations

from enum import StrEnum

A2AConversationStatus = StrEnum("A2AConversationStatus", "ACTIVE PAUSED CLOSED")

A2AMessageKind = StrEnum("A2AMessageKind", "MESSAGE REQUEST RESPONSE SYSTEM")

AgentRole = StrEnum(
    "AgentRole",
    "CEO PRODUCT_OWNER HEAD_MARKETING AUDITOR MAIN_PM CELL_PM DEVELOPER QA DOCUMENTER SYSTEM"
    " PROMPTER SECRETARY PR_REVIEWER",
)
"""Database order, not RoboCo's Python order: roles were appended as they were introduced."""

AgentStatus = StrEnum("AgentStatus", "ACTIVE IDLE OFFLINE")

AssignmentScope = StrEnum("AssignmentScope", "GLOBAL ROLE AGENT_SLUG")

BlockerResolverType = StrEnum("BlockerResolverType", "AGENT HUMAN")

ChannelType = StrEnum("ChannelType", "CELL CROSS_CELL MANAGEMENT SPECIAL")

Complexity = StrEnum("Complexity", "LOW MEDIUM HIGH")

HandoffStatus = StrEnum("HandoffStatus", "PENDING CLAIMED IN_PROGRESS COMPLETED ACCEPTED")
"""Database order: ``accepted`` was backfilled after ``completed`` by migration 020."""

JournalEntryType = StrEnum(
    "JournalEntryType", "TASK_REFLECTION DECISION_LOG LEARNING STRUGGLE GENERAL"
)

MessageType = StrEnum("MessageType", "REASONING DIALOGUE DECISION ACTION BLOCKER TECHNICAL")

ModelProvider = StrEnum("ModelProvider", "ANTHROPIC OLLAMA_CLOUD OPENAI LOCAL GROK GEMINI KIMI")
"""``gemini`` was appended by migration 084, ``kimi`` by 090."""

NotificationPriority = StrEnum("NotificationPriority", "NORMAL HIGH URGENT")

NotificationType = StrEnum(
    "NotificationType",
    "TASK_ASSIGNMENT PRIORITY_CHANGE BLOCKER_ESCALATION REVIEW_REQUEST DOCUMENTATION_REQUEST"
    " ALERT BROADCAST APPROVAL A2A_REQUEST KNOWLEDGE_SHARE MENTION",
)
"""Database order: ``approval`` and the last three were appended after ``broadcast``."""

PrompterMessageRole = StrEnum("PrompterMessageRole", "USER ASSISTANT SYSTEM")

PrompterSessionStatus = StrEnum("PrompterSessionStatus", "ACTIVE DRAFT_READY CONFIRMED ABANDONED")

SessionScope = StrEnum("SessionScope", "INITIATIVE CELL TASK")

SessionStatus = StrEnum("SessionStatus", "ACTIVE CLOSED TIMED_OUT")

TaskNature = StrEnum("TaskNature", "TECHNICAL NON_TECHNICAL")

TaskStatus = StrEnum(
    "TaskStatus",
    "BACKLOG PENDING CLAIMED IN_PROGRESS BLOCKED PAUSED VERIFYING NEEDS_REVISION AWAITING_QA"
    " AWAITING_DOCUMENTATION AWAITING_PM_REVIEW AWAITING_CEO_APPROVAL COMPLETED CANCELLED"
    " AWAITING_PR_REVIEW",
)
"""``awaiting_pr_review`` was appended last by migration 040, so it sorts after ``cancelled``."""

TaskType = StrEnum("TaskType", "CODE DOCUMENTATION RESEARCH PLANNING DESIGN ADMINISTRATIVE")

Team = StrEnum("Team", "BACKEND FRONTEND UX_UI MAIN_PM BOARD MARKETING FULLSTACK SYSTEM")
"""Database order: ``fullstack`` and ``system`` were backfilled at the end by migration 020."""

WorkSessionStatus = StrEnum("WorkSessionStatus", "ACTIVE COMPLETED ABANDONED")

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
