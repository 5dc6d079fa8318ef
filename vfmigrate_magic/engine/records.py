"""Immutable value classes for the engine's results, settings and parsed files.

``@record`` turns the annotated attributes of a class into its fields, as
``@dataclass(frozen=True)`` does: an ``__init__`` taking them in order (defaults from the class
body), a ``repr`` like ``StatusEntry(version=1, name='a', ...)``, equality and hashing by value
within one class, and no assignment after ``__init__``. It is used instead of ``dataclasses``
because that module imports ``inspect`` (with ``ast``, ``dis`` and ``tokenize``) and makes each
class with several ``exec`` calls: together a third of the start-up of ``vfmigrate status``.
Here a class costs one small ``exec``.

A field declared ``= deferrable(default)`` may also be given ``Deferred(function, *args)``:
the value is then worked out by ``function(*args)`` when it is first read (by attribute,
``repr``, equality or hashing) and kept. ``up`` uses it for each migration's per-statement
results, which most runs never look at.
"""

from __future__ import annotations

from functools import partial


class FrozenInstanceError(AttributeError):
    """Assigning to (or deleting) an attribute of a record."""


class Deferred(partial):
    """A field's value to be worked out on first read: ``Deferred(function, *args)()``.
    A ``functools.partial``, made without running any Python code: ``up`` makes thousands."""

    __slots__ = ()


_REQUIRED = object()


class deferrable:  # noqa: N801 - used like a default value in a class body
    """Declares a field that accepts a :class:`Deferred` value; with a ``default`` or, without
    one, a field that must be given."""

    def __init__(self, default=_REQUIRED) -> None:
        self.default = default


class _DeferredField:
    """The class attribute of a deferrable field. Reached only when the instance has no value
    yet (an instance's ``__dict__`` comes first for a non-data descriptor): it works the
    value out, keeps it, and returns it."""

    def __init__(self, name: str, default) -> None:
        self.name = name
        self.default = default

    def __get__(self, obj, owner=None):
        if obj is None:
            return self.default
        d = obj.__dict__
        pending = d.get("_deferred_" + self.name)
        if pending is None:  # another thread has just worked it out
            return d[self.name]
        value = d[self.name] = pending()
        d.pop("_deferred_" + self.name, None)
        return value


def peek(obj, name: str):
    """The value of field ``name`` of ``obj`` without working it out: the :class:`Deferred`
    when it is still pending."""
    d = obj.__dict__
    return d[name] if name in d else d.get("_deferred_" + name, getattr(type(obj), name))


def record(cls: type) -> type:
    """Make ``cls`` an immutable value class of its annotated attributes (see the module)."""
    names = tuple(cls.__dict__.get("__annotations__", {}))
    lazy = {n for n in names if isinstance(cls.__dict__.get(n), deferrable)}
    defaults = {f"_d_{n}": cls.__dict__[n].default if n in lazy else cls.__dict__[n]
                for n in names if n in cls.__dict__}
    defaults = {k: v for k, v in defaults.items() if v is not _REQUIRED}
    defaults["_Deferred"] = Deferred
    params = [f"{n}=_d_{n}" if f"_d_{n}" in defaults else n for n in names]
    # Only __init__, the method every instance runs, is compiled for the class, and only when
    # the first instance is made: exec costs, and most runs use a few of the classes.
    body = "".join(
        f"    if {n}.__class__ is _Deferred:\n        d['_deferred_{n}'] = {n}\n    else:\n        d[{n!r}] = {n}\n"
        if n in lazy else f"    d[{n!r}] = {n}\n"
        for n in names
    )
    source = f"def __init__(self, {', '.join(params)}):\n    d = self.__dict__\n{body}"

    def __init__(self, *args, **kwargs):  # replaces itself with the compiled one
        namespace: dict = {}
        exec(source, defaults, namespace)
        init = namespace["__init__"]
        init.__qualname__ = f"{cls.__qualname__}.__init__"
        cls.__init__ = init
        init(self, *args, **kwargs)

    __init__.__qualname__ = f"{cls.__qualname__}.__init__"
    cls.__init__ = __init__
    for n in lazy:
        setattr(cls, n, _DeferredField(n, defaults.get(f"_d_{n}")))
    cls._fields = cls.__match_args__ = names
    for name, method in _METHODS.items():
        setattr(cls, name, method)
    return cls


def _values(obj) -> tuple:
    return tuple(getattr(obj, n) for n in obj._fields)


def _repr(self) -> str:
    return f"{self.__class__.__qualname__}({', '.join(f'{n}={getattr(self, n)!r}' for n in self._fields)})"


def _eq(self, other):
    if other.__class__ is self.__class__:
        return _values(self) == _values(other)
    return NotImplemented


def _hash(self) -> int:
    return hash(_values(self))


def _frozen(self, name, value=None):
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


_METHODS = {"__repr__": _repr, "__eq__": _eq, "__hash__": _hash, "__setattr__": _frozen, "__delattr__": _frozen}


def replace(obj, **changes):
    """A copy of the record ``obj`` with some fields changed (``dataclasses.replace``)."""
    return obj.__class__(**{**dict(zip(obj._fields, _values(obj))), **changes})
