"""The board's morning: the product owner pitches, the CEO approves, and the approval provisions
a product with one project per cell, each with an encrypted git token that is read back."""

from __future__ import annotations

import secrets

from pydantic import SecretStr

from roboco_sql.errors import EncryptionError
from roboco_sql.models.enums import Team
from roboco_sql.models.pitch import Pitch, PitchCreate
from roboco_sql.models.product import ProductCellMapping, ProductCreate
from roboco_sql.models.project import Project, ProjectCreate
from roboco_sql.repos import pitches, products, projects

from . import words
from .cast import CELLS, cell_slug, theme
from .day import Day
from .talk import Conn, Room


async def board(conn: Conn, day: Day) -> None:
    """Pitch, approval, provisioning; then the orchestrator's explicit read of each token."""
    report = day.report
    name, _ = theme(report.day)
    pitch = await _pitch(conn, day, name)
    await _approve(conn, day, name, pitch)
    for cell in CELLS:  # the orchestrator's explicit read, decrypted on demand
        read = await projects.read_git_token(conn, day.project(cell), box=day.box)
        if read is None or read.get_secret_value() != report.tokens[cell.value].get_secret_value():
            raise EncryptionError(
                f"project {day.slug}-{cell_slug(cell)}: its token did not read back"
            )


async def _pitch(conn: Conn, day: Day, name: str) -> Pitch:
    owner = day.agent("product-owner")
    async with day.tx(conn):
        room = day.board = Room("product-owner", "ceo", f"{day.slug} board: Robo {name}")
        pitch = await pitches.propose_pitch(
            conn,
            PitchCreate(
                title=f"Robo {name}",
                slug=day.slug,
                problem=f"Customers drop off in {name.lower()}; support tickets say why.",
                proposed_solution=f"Rebuild {name.lower()} across design, API and client.",
                target_cells=list(CELLS),
                created_by=owner.id,
            ),
        )
        await day.speak(conn, owner, words.PITCH, room=room, name=name, pitch=pitch)
    return pitch


async def _approve(conn: Conn, day: Day, name: str, pitch: Pitch) -> None:
    """The approval provisions the product, all or nothing."""
    report, ceo = day.report, day.agent("ceo")
    assert day.board is not None
    async with day.tx(conn):
        made = [await _project(conn, day, name, cell) for cell in CELLS]
        product = await products.create_product(
            conn,
            ProductCreate(
                name=f"Robo {name}, day {report.day}",
                slug=day.slug,
                description=pitch.proposed_solution,
                cells=[ProductCellMapping(team=p.assigned_cell, project_id=p.id) for p in made],
                created_by=ceo.id,
            ),
        )
        await pitches.approve_pitch(
            conn,
            pitch.id,
            decided_by=ceo.id,
            provisioned_product_id=product.product.id,
            provisioned_project_ids=[p.id for p in made],
            notes="Approved: start with the design, ship behind a flag.",
        )
        await day.speak(conn, ceo, words.PITCH_APPROVED, room=day.board, name=name)
    report.product_id, report.product_slug, report.pitch_id = product.product.id, day.slug, pitch.id


async def _project(conn: Conn, day: Day, name: str, cell: Team) -> Project:
    """A cell's project with a fresh token (stored encrypted; the plaintext kept for checks)."""
    report = day.report
    token = SecretStr(f"ghp_demo{secrets.token_hex(16)}")
    slug = f"{day.slug}-{cell_slug(cell)}"
    project = await projects.create_project(
        conn,
        ProjectCreate(
            name=f"Robo {name} ({cell.value})",
            slug=slug,
            git_url=f"https://git.example.com/roboco/{slug}.git",
            default_branch="main",
            git_token=token,
            assigned_cell=cell,
            created_by=day.agent("ceo").id,
            test_command="make test",
        ),
        box=day.box,
    )
    day.project_ids[cell] = project.id
    report.project_ids[cell.value] = project.id
    report.tokens[cell.value] = token
    return project
