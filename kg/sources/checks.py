"""What every reader shares: problems named by file, pointer and field, and value checks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from kg.sources.locators import PointerLocator
from kg.sources.numbers import BadValue, PValue, count_of, decimal_or_na, p_value
from kg.sources.records import Problem

__all__ = ["Bad", "Problems", "check_order"]

T = TypeVar("T")


class Bad(Exception):
    """A record that cannot be read; the problem is already noted, the record is left out."""


@dataclass
class Problems:
    """The errors and warnings found reading one file."""

    file: str
    syntax: str = "json-pointer"
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def at(self, pointer: str) -> PointerLocator:
        return PointerLocator(pointer=pointer, syntax=self.syntax)  # type: ignore[arg-type]

    def error(self, where: str, name: str | None, message: str) -> Bad:
        """Note an error at ``where`` (pointer or XPath), field ``name``; raise the result."""
        self.errors.append(Problem(self.file, where or "/", name, message))
        return Bad(message)

    def warn(self, where: str, name: str | None, message: str) -> None:
        self.warnings.append(Problem(self.file, where or "/", name, message))

    def parse(self, where: str, name: str, raw: Any, parser: Callable[[Any], T]) -> T:
        try:
            return parser(raw)
        except BadValue as error:
            raise self.error(where, name, str(error)) from None

    def number(self, where: str, name: str, raw: Any) -> Decimal | None:
        return self.parse(where, name, raw, decimal_or_na)

    def count(self, where: str, name: str, raw: Any) -> int | None:
        return self.parse(where, name, raw, count_of)

    def p_value(self, where: str, name: str, raw: Any) -> PValue | None:
        return self.parse(where, name, raw, p_value)

    def keep(self, reader: Callable[[], T]) -> T | None:
        """``reader()``, or None when it found the record bad (its problem is noted)."""
        try:
            return reader()
        except Bad:
            return None


def check_order(
    problems: Problems,
    where: str,
    value: Decimal | None,
    lower: tuple[str, Decimal | None],
    upper: tuple[str, Decimal | None],
) -> None:
    """A lower limit above the value, or an upper one below it, is an error naming the field."""
    (low_name, low), (high_name, high) = lower, upper
    if value is not None and low is not None and low > value:
        raise problems.error(where, low_name, f"the lower limit {low} is above the value {value}")
    if value is not None and high is not None and high < value:
        raise problems.error(where, high_name, f"the upper limit {high} is below the value {value}")
    if low is not None and high is not None and low > high:
        raise problems.error(where, low_name, f"the lower limit {low} is above the upper {high}")
