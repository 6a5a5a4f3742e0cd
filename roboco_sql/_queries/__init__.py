"""The named-query machinery behind :mod:`roboco_sql.queries`, one concept per module.

``query`` holds what a compiled statement is, ``parse`` turns one file's text into them,
``include`` expands column lists and fragments, ``load`` reads a directory (templates too) and
``run`` executes them. Callers import :mod:`roboco_sql.queries`, which re-exports all of it;
nothing here imports pydantic or the models, so the migration runner can use the loader
without them.
"""
