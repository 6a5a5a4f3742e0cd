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

The modules, in the order of the day: ``cast`` (the script: crew, cells, fates), ``run`` (the
phases), ``earlier`` (what earlier days left), ``board``, ``planning``, ``day`` (the shared
state and its moves), ``talk`` (messages, notifications, journals), ``developers``, ``reviews``,
``managers``, ``workday`` (the crew at once), ``knowledge``, ``wrapup`` and ``report``. The
library never imports this package; ``python -m roboco_sql demo`` loads it when run.
"""

from __future__ import annotations

from .cast import DEMO_PREFIX, Fate
from .knowledge import hash_embedding
from .report import DayReport
from .run import run_day

__all__ = ["DEMO_PREFIX", "DayReport", "Fate", "hash_embedding", "run_day"]
