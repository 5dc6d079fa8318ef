"""The engine's value classes (``engine.records``): what ``@dataclass(frozen=True)`` gave them."""

from __future__ import annotations

import pytest

from vfmigrate_magic.engine.files import parse_text
from vfmigrate_magic.engine.records import Deferred, FrozenInstanceError, deferrable, record, replace
from vfmigrate_magic.engine.results import ExecutionMode, MigrationResult, MigrationState, StatusEntry


@record
class Point:
    x: int
    y: int = 0
    label: str = ""


def test_fields_in_order_with_defaults():
    assert Point._fields == ("x", "y", "label")
    assert (Point(1).x, Point(1).y, Point(1).label) == (1, 0, "")
    assert Point(1, label="a") == Point(x=1, y=0, label="a")
    with pytest.raises(TypeError, match=r"Point.__init__\(\) missing 1 required positional argument: 'x'"):
        Point()
    with pytest.raises(TypeError):
        Point(1, 2, "a", "too many")


def test_repr_equality_and_hash_as_a_frozen_dataclass():
    assert repr(Point(1, 2, "a")) == "Point(x=1, y=2, label='a')"
    assert repr(StatusEntry(3, "roles", MigrationState.APPLIED)) == (
        "StatusEntry(version=3, name='roles', state=<MigrationState.APPLIED: 'applied'>, applied_at=None, "
        "execution_time_ms=None, checksum=None, recorded_checksum=None, reversible=None)")
    assert Point(1, 2) == Point(1, 2) and Point(1, 2) != Point(2, 1)
    assert hash(Point(1, 2)) == hash(Point(1, 2)) and len({Point(1, 2), Point(1, 2), Point(2)}) == 2

    @record
    class Other:
        x: int
        y: int = 0
        label: str = ""

    assert Point(1) != Other(1)  # equal only within one class, as dataclasses


def test_immutable():
    p = Point(1)
    with pytest.raises(FrozenInstanceError, match="cannot assign to field 'x'"):
        p.x = 2
    with pytest.raises(AttributeError):
        del p.y
    assert p == Point(1)


def test_replace_makes_a_changed_copy():
    result = MigrationResult(1, "a", "up", ExecutionMode.APPLY, 1.5)
    changed = replace(result, rows_changed=3)
    assert changed.rows_changed == 3 and result.rows_changed == 0
    assert replace(changed, rows_changed=0) == result


def test_a_migrations_split_statements_are_kept_beside_its_fields(tmp_path):
    text = "-- === UP MIGRATION ===\nCREATE TABLE a (x);\n-- === DOWN MIGRATION ===\nDROP TABLE a;\n"
    first, second = parse_text(text, tmp_path / "001_a.sql"), parse_text(text, tmp_path / "001_a.sql")
    assert [s.sql for s in first.up] == ["CREATE TABLE a (x);"]  # split and cached
    assert "_split" in first.__dict__ and "_split" not in second.__dict__
    assert first == second and hash(first) == hash(second) and repr(first) == repr(second)


@record
class Lazy:
    x: int
    parts: tuple = deferrable(())


def test_a_deferred_field_is_worked_out_once_when_first_read():
    calls = []

    def work(n):
        calls.append(n)
        return (n, n)

    lazy = Lazy(1, Deferred(work, 2))
    assert calls == []  # nothing worked out at construction
    assert lazy.parts == (2, 2) and lazy.parts == (2, 2)
    assert calls == [2]
    assert Lazy(1).parts == () and Lazy.parts == ()  # the default, on the instance and the class


def test_a_deferred_field_reads_as_a_plain_one_in_repr_equality_hash_and_replace():
    plain = Lazy(1, (2, 2))
    assert repr(Lazy(1, Deferred(lambda: (2, 2)))) == "Lazy(x=1, parts=(2, 2))"
    assert Lazy(1, Deferred(lambda: (2, 2))) == plain
    assert hash(Lazy(1, Deferred(lambda: (2, 2)))) == hash(plain)
    assert replace(Lazy(1, Deferred(lambda: (2, 2))), x=3) == Lazy(3, (2, 2))
    with pytest.raises(FrozenInstanceError):
        Lazy(1, Deferred(tuple)).parts = ()


def test_a_deferrable_field_without_a_default_must_be_given():
    from vfmigrate_magic.engine.records import peek

    @record
    class Needs:
        where: str = deferrable()
        n: int = 0

    with pytest.raises(TypeError):
        Needs()
    pending = Needs(Deferred(str.upper, "a"))
    assert isinstance(peek(pending, "where"), Deferred)  # peek works nothing out
    assert pending.where == "A" and peek(pending, "where") == "A"
