"""The Main PM's morning: one coordination task per feature, fanned out to the cells, each cell
task with its subtasks (and their dependencies and fates) and a spike; then the kickoff and the
standup."""

from __future__ import annotations

from typing import Any

from roboco_sql.models.agent import Agent
from roboco_sql.models.enums import (
    AgentRole,
    Complexity,
    JournalEntryType,
    NotificationType,
    TaskNature,
    TaskStatus,
    TaskType,
    Team,
)
from roboco_sql.models.task import Task, TaskCreate
from roboco_sql.repos import claims, graph, tasks

from .cast import CELLS, FATES, FROM_BACKLOG, PREFIX, WORK, theme
from .day import Day, Feature
from .talk import Conn, Room

S = TaskStatus


async def plan(conn: Conn, day: Day, scale: int) -> tuple[int, int]:
    """The Main PM's plan: coordination tasks, fan-out, subtasks, rooms. Returns the
    dependencies made and the standup's message count."""
    report = day.report
    name, names = theme(report.day)
    deps = 0
    async with day.tx(conn):
        rooms = {
            cell: Room(f"{PREFIX[cell]}-pm", "main-pm", f"{day.slug} {cell.value}: Robo {name}")
            for cell in CELLS
        }
        for k in range(scale):
            feature = names[k % len(names)] + (
                f" #{k // len(names) + 1}" if k >= len(names) else ""
            )
            deps += await _feature(conn, day, feature, name, rooms)
        await _kickoff(conn, day, scale, name, rooms)
    standup = await _standup(conn, day, name)
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
    return deps, standup


async def _feature(
    conn: Conn, day: Day, name: str, theme_name: str, rooms: dict[Team, Room]
) -> int:
    """A feature's coordination task, claimed and started, fanned out to the cells; returns
    the dependencies made."""
    main = day.agent("main-pm")
    coordination = await tasks.create_task(
        conn,
        TaskCreate(
            title=f"Ship {name}",
            description=f"Ship {name} for Robo {theme_name}: design, API and client.",
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
            product_id=day.report.product_id,
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
    deps = 0
    for child in children:
        cell = child.team
        feature.children[cell] = child
        feature.rooms[cell] = rooms[cell]
        day.room_of[child.id] = rooms[cell]
        deps += len(child.dependency_ids)
        deps += await _cell_work(conn, day, feature, child, rooms[cell])
    day.features.append(feature)
    day.report.coordination_ids.append(coordination.id)
    return deps


async def _under(conn: Conn, child: Task, main: Agent, **fields: Any) -> Task:
    """A technical task under the cell task `child`: in its cell and project, by the Main PM."""
    return await tasks.create_task(
        conn,
        TaskCreate(
            nature=TaskNature.TECHNICAL,
            team=child.team,
            project_id=child.project_id,
            created_by=main.id,
            parent_task_id=child.id,
            **fields,
        ),
    )


async def _cell_work(conn: Conn, day: Day, feature: Feature, child: Task, room: Room) -> int:
    """A cell task's subtasks (with their fates) and its spike; returns the dependencies made."""
    cell, name, main = child.team, feature.name, day.agent("main-pm")
    deps = 0
    made: list[Task] = []
    for index, what in enumerate(WORK[cell]):
        waits = list(child.dependency_ids)  # the design, for backend and frontend
        if index == 2:
            waits += [t.id for t in made]  # the third needs the first two
        deps += len(waits)
        backlog = (cell, index) in FROM_BACKLOG
        sub = await _under(
            conn,
            child,
            main,
            title=f"{what} for {name}",
            description=f"{what} for {name} ({cell.value}), per the pitch.",
            acceptance_criteria=[f"{what} reviewed", "tests or checks pass"],
            status=S.BACKLOG if backlog else S.PENDING,
            priority=2,
            task_type=TaskType.DESIGN if cell is Team.UX_UI else TaskType.CODE,
            estimated_complexity=Complexity.MEDIUM,
            dependency_ids=waits,
            sequence=index,
        )
        made.append(sub)
        day.fates[sub.id] = FATES[(cell, index)]
        day.room_of[sub.id] = room
        if backlog:
            day.from_backlog.append(sub)
    feature.subtasks[cell] = made
    spike = await _under(
        conn,
        child,
        main,
        title=f"Spike: offline mode for {name}",
        description="Explore offline support; likely out of scope today.",
        acceptance_criteria=["a written recommendation"],
        status=S.BACKLOG,
        priority=3,
        task_type=TaskType.RESEARCH,
        estimated_complexity=Complexity.LOW,
        sequence=len(WORK[cell]),
    )
    feature.spikes.append(spike)
    day.room_of[spike.id] = room
    return deps


async def _kickoff(conn: Conn, day: Day, scale: int, name: str, rooms: dict[Team, Room]) -> None:
    """The plan told: to each cell's PM, to everyone (broadcast), to the developers."""
    report, main = day.report, day.agent("main-pm")
    for cell in CELLS:
        await day.talk.say(
            conn,
            rooms[cell],
            main,
            f"Today in {cell.value}: {scale * len(WORK[cell])} tasks for Robo {name}. "
            + ("UX/UI leads; " if cell is Team.UX_UI else "you start once UX/UI lands; ")
            + "claim with give_me_work().",
        )
    await day.talk.announce(
        conn,
        main,
        f"Day {report.day}: Robo {name}",
        f"Day {report.day}: Robo {name} is approved. {scale} feature(s) ship today.",
    )
    developers = [a for a in day.staff.values() if a.role is AgentRole.DEVELOPER]
    await day.talk.notify(
        conn,
        main,
        developers,
        NotificationType.TASK_ASSIGNMENT,
        f"Day {report.day}: Robo {name}",
        body="The plan is with your cell PM.",
    )
    await day.talk.write(
        conn,
        main,
        JournalEntryType.DECISION_LOG,
        f"Planned Robo {name}",
        f"Planned Robo {name} as {scale} feature(s), each fanned out to UX/UI, backend and "
        "frontend with three subtasks a cell; the implementation cells wait on the design.",
    )


async def _standup(conn: Conn, day: Day, name: str) -> int:
    """Every agent tells the Main PM what it is on today; returns the messages said."""
    standup = Room("main-pm", "ceo", f"{day.slug} standup")
    crew = [a for a in day.staff.values() if a.role is not AgentRole.SYSTEM]
    async with day.tx(conn):
        for a in crew:
            await day.talk.say(conn, standup, a, f"{a.name}: on Robo {name} today.")
    return len(crew)
