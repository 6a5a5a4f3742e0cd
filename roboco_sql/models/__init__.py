"""Pydantic models for every RoboCo table: rows as read, and the inputs repositories write.

The package re-exports each module's ``__all__``, so a model is declared public in one place:
its own module. ``ENTITY_MODELS`` lists the row model of each table at head, so agreement
tests can walk them against the live schema; ``MESSAGING_MODELS`` those of the five tables
RoboCo's 060_drop_messaging dropped, walked against a database below 060.
"""

# ruff: noqa: F403, F405 -- the star imports are the re-export; mypy --strict checks every name.
from __future__ import annotations

from types import ModuleType as _ModuleType

from roboco_sql.models.a2a import *
from roboco_sql.models.agent import *
from roboco_sql.models.audit import *
from roboco_sql.models.base import *
from roboco_sql.models.board_cycle import *
from roboco_sql.models.cell_project import *
from roboco_sql.models.conventions import *
from roboco_sql.models.credentials import *
from roboco_sql.models.enums import *
from roboco_sql.models.gateway import *
from roboco_sql.models.handoff import *
from roboco_sql.models.journal import *
from roboco_sql.models.knowledge import *
from roboco_sql.models.member_perf import *
from roboco_sql.models.messaging import *
from roboco_sql.models.notification import *
from roboco_sql.models.pitch import *
from roboco_sql.models.playbook import *
from roboco_sql.models.product import *
from roboco_sql.models.project import *
from roboco_sql.models.prompter import *
from roboco_sql.models.provider import *
from roboco_sql.models.rag_failure import *
from roboco_sql.models.respawn import *
from roboco_sql.models.review_finding import *
from roboco_sql.models.routing_preset import *
from roboco_sql.models.secretary import *
from roboco_sql.models.settings import *
from roboco_sql.models.task import *
from roboco_sql.models.task_views import *
from roboco_sql.models.usage import *
from roboco_sql.models.user import *
from roboco_sql.models.vault import *
from roboco_sql.models.waiting import *
from roboco_sql.models.work_session import *
from roboco_sql.models.x_seen import *

ENTITY_MODELS: tuple[type[Row], ...] = (
    Agent,
    Task,
    Project,
    WorkSession,
    Product,
    ProductProject,
    Pitch,
    Notification,
    Journal,
    JournalEntry,
    ProviderConfig,
    ModelAssignment,
    Handoff,
    A2AConversation,
    A2AMessage,
    WaitingRecord,
    AuditLogEntry,
    GatewayTrigger,
    AgentSpawnSession,
    TokenUsageSnapshot,
    DailyUsageRollup,
    PrompterSession,
    PrompterMessage,
    TaskDraft,
    SystemSetting,
    CompanyGoals,
    SecretaryDirective,
    ProjectConventionsCache,
    ProjectConventionFinding,
    IndexedDocument,
    Playbook,
    TaskCellProject,
    TaskReviewFinding,
    BoardProgramCycle,
    RespawnRecord,
    MemberPerformanceDay,
    RagIndexFailure,
    VaultSeenNote,
    RoutingPreset,
    User,
    XCredentials,
    XSeenMention,
    XSeenFeature,
    TikTokCredentials,
    TelegramCredentials,
    GitHubAppCredentials,
)
"""The row model of every table at head, one each, in aggregate order."""

MESSAGING_MODELS: tuple[type[Row], ...] = (Channel, Group, Session, SessionTask, Message)
"""The row models of the five tables RoboCo's 060_drop_messaging dropped; they agree with a
database below 060 (the messaging repos raise SchemaGone past it)."""

__all__ = [
    name
    for name, value in globals().items()
    if not name.startswith("_") and name != "annotations" and not isinstance(value, _ModuleType)
]
"""Every name re-exported above (the submodules themselves and the ``__future__`` flag aside)."""
