"""WAL positions, and the two arguments of a read-your-writes read (``after=``, ``wait=``)."""

from __future__ import annotations

from roboco_sql.errors import ValidationError


class Lsn(int):
    """A WAL position (PostgreSQL's pg_lsn, written ``16/B374D848``), comparable as an int."""

    @classmethod
    def parse(cls, text: str) -> Lsn:
        high, sep, low = text.strip().partition("/")
        try:
            if not sep:
                raise ValueError
            return cls((int(high, 16) << 32) | int(low, 16))
        except ValueError:
            raise ValidationError(f"after: not a WAL position (X/Y in hex), got {text!r}") from None

    def __str__(self) -> str:
        return f"{int(self) >> 32:X}/{int(self) & 0xFFFFFFFF:X}"

    def __repr__(self) -> str:
        return f"Lsn('{self}')"


def as_lsn(value: Lsn | str | None) -> Lsn | None:
    """``after=`` as given by a caller: an Lsn, its ``X/Y`` text, or None (no wait)."""
    if value is None or isinstance(value, Lsn):
        return value
    if isinstance(value, str):
        return Lsn.parse(value)
    raise ValidationError(f"after: expected an Lsn or 'X/Y' text, got {type(value).__name__}")


def check_wait(wait: float | None, default: float) -> float:
    """``wait=`` in seconds, ``default`` when not given; a wait that never ends is refused."""
    if wait is None:
        return default
    if not isinstance(wait, int | float) or not 0 <= wait < float("inf"):
        raise ValidationError(f"wait: must be a finite number of seconds >= 0, got {wait!r}")
    return float(wait)
