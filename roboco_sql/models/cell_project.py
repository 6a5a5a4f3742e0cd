"""Per-cell project maps of tasks: an ad-hoc root task that spans cells names one repo each."""

from __future__ import annotations

import uuid

from roboco_sql.models.base import Row
from roboco_sql.models.enums import Team

__all__ = ["TaskCellProject"]


class TaskCellProject(Row):
    """Row of ``task_cell_projects``: one project per (task, team), the team in enum ``team``."""

    __table__ = "task_cell_projects"

    id: uuid.UUID
    task_id: uuid.UUID
    team: Team
    project_id: uuid.UUID
