"""Assertions for tests: valid events, partial matching, and run lifecycles.

Partial matching compares only what the expected value names: keys absent from
an expected object are ignored, and a value may be a placeholder (:data:`ANY`,
:data:`ANY_UUID`, :data:`ANY_DATETIME`, a compiled regular expression, which
must match the whole string, or any :func:`placeholder`). A list describes the
whole received list, element by element: in order, or, with ``ordered=False``
(or :func:`unordered` for one list), as a multiset where every expected element
must match a *different* received element (a real bipartite assignment, so
``[A, A]`` never matches ``[A, B]``).

Every mismatch is a :class:`Difference` placed by a JSON pointer into the
received value, so a failure reads key by key::

    /eventType: expected "COMPLETE", got "START"
    /run/runId: expected ANY_UUID, got "42"

:func:`lineage_contract.testing._templates.from_template` turns the expected-event
templates of OpenLineage's and Marquez's integration tests into such expected values.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..contract._anatomy import MISSING as _MISSING
from ..contract._anatomy import RUNNING, START, TERMINAL, get
from ..contract._document import Contract
from ..contract._formats import CHECKERS, Instant
from ..contract._formats import instant as as_instant
from ..contract._pointers import pointer
from ..validation._report import Report, table
from ..validation._validator import Validator

# -- placeholders -------------------------------------------------------------


MISSING: Any = _MISSING
"""Stands for a key the received object does not have."""


@dataclass(frozen=True, slots=True, eq=False)
class Placeholder:
    """An expected value given by a test rather than by equality."""

    name: str
    predicate: Callable[[Any], bool]

    def matches(self, actual: Any) -> bool:
        # Only ABSENT may match a missing key: every other placeholder needs a value.
        if actual is MISSING:
            return self is ABSENT
        if self is ABSENT:
            return False
        try:
            return bool(self.predicate(actual))
        except (TypeError, ValueError, AttributeError, KeyError, IndexError):
            # A predicate written for one type meets another: that is a mismatch.
            return False

    def __repr__(self) -> str:
        return self.name


def placeholder(name: str, predicate: Callable[[Any], bool]) -> Placeholder:
    """A custom placeholder: ``placeholder("an even number", lambda v: v % 2 == 0)``.

    ``name`` is what failure messages print in place of the expected value.
    """
    return Placeholder(name, predicate)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


ANY = Placeholder("ANY", lambda v: True)
"""Any value, as long as the key is present (``null`` included)."""
ANY_STRING = Placeholder("ANY_STRING", lambda v: isinstance(v, str))
ANY_NUMBER = Placeholder("ANY_NUMBER", _is_number)
ANY_UUID = Placeholder("ANY_UUID", lambda v: isinstance(v, str) and CHECKERS["uuid"](v))
"""A string in the contract's ``uuid`` format."""
ANY_DATETIME = Placeholder(
    "ANY_DATETIME", lambda v: isinstance(v, str) and CHECKERS["date-time"](v)
)
"""A string in the contract's ``date-time`` format (RFC 3339, offset required)."""
ABSENT = Placeholder("ABSENT", lambda v: False)
"""As the value of a key: the received object must not have that key."""


def one_of(*values: Any) -> Placeholder:
    """Equal to one of ``values`` (JSON equality: ``1`` is not ``true``)."""
    return Placeholder(
        "one of " + ", ".join(_render(v) for v in values),
        lambda actual: any(_compare(v, actual, [], True, None) for v in values),
    )


@dataclass(frozen=True, slots=True)
class _Unordered:
    items: tuple[Any, ...]

    def __repr__(self) -> str:
        return f"unordered({list(self.items)!r})"


def unordered(items: Iterable[Any]) -> Any:
    """Match this one list as a multiset, whatever ``ordered`` says for the rest."""
    return _Unordered(tuple(items))


# -- differences --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Difference:
    """One place where the received value is not what was expected.

    ``pointer`` is an RFC 6901 pointer into the received value; ``actual`` is
    :data:`MISSING` when the key is not there, and ``expected`` is
    :data:`MISSING` for a received list element nothing was expected for.
    """

    pointer: str
    expected: Any
    actual: Any
    note: str = ""

    def __str__(self) -> str:
        where = self.pointer or "(root)"
        if self.actual is MISSING and self.note:
            return f"{where}: {self.note} {_render(self.expected)}"
        if self.actual is MISSING:
            text = f"{where}: missing, expected {_render(self.expected)}"
        elif self.expected is MISSING:
            text = f"{where}: unexpected {_render(self.actual)}"
        elif self.expected is ABSENT:
            text = f"{where}: should be absent, got {_render(self.actual)}"
        else:
            text = f"{where}: expected {_render(self.expected)}, got {_render(self.actual)}"
        return f"{text} ({self.note})" if self.note else text


def format_differences(differences: Sequence[Difference], *, indent: str = "  ") -> str:
    return "\n".join(indent + str(d) for d in differences)


def _render(value: Any, limit: int = 80) -> str:
    text = _text(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _text(value: Any, indent: int | None = None, level: int = 0) -> str:
    """JSON, except that placeholders and patterns print as the code that made them."""
    if isinstance(value, Placeholder) or value is MISSING:
        return repr(value)
    if isinstance(value, re.Pattern):
        return f"re.compile({value.pattern!r})"
    if isinstance(value, _Unordered):
        return f"unordered({_text(list(value.items), indent, level)})"
    if isinstance(value, Mapping):
        items = [
            f"{json.dumps(str(k), ensure_ascii=False)}: {_text(v, indent, level + 1)}"
            for k, v in value.items()
        ]
        return _wrap(items, "{}", indent, level)
    if isinstance(value, list | tuple):
        return _wrap([_text(v, indent, level + 1) for v in value], "[]", indent, level)
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)


def _wrap(items: list[str], brackets: str, indent: int | None, level: int) -> str:
    if not items:
        return brackets
    if indent is None:
        return brackets[0] + ", ".join(items) + brackets[1]
    pad = " " * (indent * (level + 1))
    inner = ",\n".join(pad + item for item in items)
    return f"{brackets[0]}\n{inner}\n{' ' * (indent * level)}{brackets[1]}"


# -- matching -----------------------------------------------------------------


def match(expected: Any, actual: Any, *, ordered: bool = True) -> list[Difference]:
    """Every difference between ``expected`` (partial) and ``actual``; empty when they match."""
    out: list[Difference] = []
    _compare(expected, actual, [], ordered, out)
    return out


def _matches(expected: Any, actual: Any, ordered: bool) -> bool:
    return _compare(expected, actual, [], ordered, None)


def _compare(
    expected: Any, actual: Any, path: list[str | int], ordered: bool, out: list[Difference] | None
) -> bool:
    """True when they match; differences go to ``out`` (None: stop at the first one)."""

    def differ(note: str = "") -> bool:
        if out is not None:
            out.append(Difference(pointer(path), expected, actual, note))
        return False

    if isinstance(expected, Placeholder):
        return expected.matches(actual) or differ()
    if actual is MISSING:
        return differ()
    if isinstance(expected, re.Pattern):
        return (isinstance(actual, str) and expected.fullmatch(actual) is not None) or differ()
    if isinstance(expected, Mapping):
        if not isinstance(actual, Mapping):
            return differ()
        ok = True
        for key, sub in expected.items():
            ok = _compare(sub, actual.get(key, MISSING), [*path, key], ordered, out) and ok
            if not ok and out is None:
                return False
        return ok
    if isinstance(expected, _Unordered):
        if not isinstance(actual, list):
            return differ()
        return _compare_unordered(list(expected.items), actual, path, ordered, out)
    if isinstance(expected, list | tuple):
        if not isinstance(actual, list):
            return differ()
        if ordered:
            return _compare_ordered(list(expected), actual, path, ordered, out)
        return _compare_unordered(list(expected), actual, path, ordered, out)
    return _same_scalar(expected, actual) or differ()


def _same_scalar(expected: Any, actual: Any) -> bool:
    # JSON equality: true is not 1, 1 is 1.0.
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual) and expected == actual
    if _is_number(expected) and _is_number(actual):
        return bool(expected == actual)
    return type(expected) is type(actual) and bool(expected == actual)


def _compare_ordered(
    expected: list[Any],
    actual: list[Any],
    path: list[str | int],
    ordered: bool,
    out: list[Difference] | None,
) -> bool:
    if out is None and len(expected) != len(actual):
        return False
    ok = True
    for index in range(max(len(expected), len(actual))):
        if index >= len(actual):
            ok = False
            _out_append(out, Difference(pointer([*path, index]), expected[index], MISSING))
        elif index >= len(expected):
            ok = False
            _out_append(out, Difference(pointer([*path, index]), MISSING, actual[index]))
        else:
            ok = _compare(expected[index], actual[index], [*path, index], ordered, out) and ok
            if not ok and out is None:
                return False
    return ok


def _out_append(out: list[Difference] | None, difference: Difference) -> None:
    if out is not None:
        out.append(difference)


def _compare_unordered(
    expected: list[Any],
    actual: list[Any],
    path: list[str | int],
    ordered: bool,
    out: list[Difference] | None,
) -> bool:
    if out is None and len(expected) != len(actual):
        return False
    candidates = [
        [j for j, item in enumerate(actual) if _matches(want, item, ordered)] for want in expected
    ]
    assigned = _assign(candidates, len(actual))
    if len(assigned) == len(expected) == len(actual):
        return True
    if out is None:
        return False
    used = set(assigned.values())
    free = [j for j in range(len(actual)) if j not in used]
    for i, want in enumerate(expected):
        if i in assigned:
            continue
        # Explain each unmatched expected element against the nearest unclaimed one.
        best: tuple[int, list[Difference]] | None = None
        for j in free:
            found: list[Difference] = []
            _compare(want, actual[j], [*path, j], ordered, found)
            if best is None or len(found) < len(best[1]):
                best = (j, found)
        if best is None:
            out.append(
                Difference(pointer(path), want, MISSING, f"no element left to match item #{i}:")
            )
        else:
            free.remove(best[0])
            out.extend(best[1])
    for j in free:
        out.append(Difference(pointer([*path, j]), MISSING, actual[j]))
    return False


def _assign(candidates: list[list[int]], width: int) -> dict[int, int]:
    """Maximum bipartite matching (Kuhn's augmenting paths): expected index -> actual index."""
    owner: list[int | None] = [None] * width

    def augment(i: int, seen: set[int]) -> bool:
        for j in candidates[i]:
            if j in seen:
                continue
            seen.add(j)
            holder = owner[j]
            if holder is None or augment(holder, seen):
                owner[j] = i
                return True
        return False

    for i in range(len(candidates)):
        augment(i, set())
    return {i: j for j, i in enumerate(owner) if i is not None}


def closest(
    expected: Any, candidates: Sequence[Any], *, ordered: bool = True
) -> tuple[int, list[Difference]] | None:
    """Index of the candidate with the fewest differences (first on ties), and those."""
    best: tuple[int, list[Difference]] | None = None
    for index, candidate in enumerate(candidates):
        found = match(expected, candidate, ordered=ordered)
        if best is None or len(found) < len(best[1]):
            best = (index, found)
            if not found:
                break
    return best


def assert_matches(expected: Any, actual: Any, *, ordered: bool = True) -> None:
    """Raise :class:`AssertionError` listing every difference, key by key."""
    __tracebackhide__ = True
    found = match(expected, actual, ordered=ordered)
    if found:
        raise AssertionError(
            f"value does not match, {len(found)} difference(s):\n{format_differences(found)}"
        )


def assert_received(
    expected: Any,
    events: Sequence[Any],
    *,
    count: int | None = None,
    ordered: bool = True,
    what: str = "event",
) -> list[Any]:
    """Return the events matching ``expected``; fail unless there are ``count`` (default: any).

    On failure the message shows the closest event and its differences key by key.
    """
    __tracebackhide__ = True
    matched = [e for e in events if _matches(expected, e, ordered)]
    if (count is None and matched) or len(matched) == count:
        return matched
    total = f"{len(events)} {what}(s) received"
    if matched:
        raise AssertionError(f"expected {count} matching {what}(s), found {len(matched)} ({total})")
    if not events:
        raise AssertionError(f"no {what} received; expected one matching:\n{_pretty(expected)}")
    near = closest(expected, events, ordered=ordered)
    assert near is not None
    index, found = near
    wanted = "a matching" if count is None else f"{count} matching"
    raise AssertionError(
        f"expected {wanted} {what}, none matches ({total}).\n"
        f"Closest: {what} #{index}, {len(found)} difference(s):\n"
        f"{format_differences(found)}\n"
        f"{what} #{index}:\n{_pretty(events[index])}"
    )


def _pretty(value: Any, max_lines: int = 40) -> str:
    lines = _text(value, indent=2).splitlines()
    if len(lines) > max_lines:
        lines = [*lines[:max_lines], f"… ({len(lines) - max_lines} more lines)"]
    return "\n".join("  " + line for line in lines)


# -- validity -----------------------------------------------------------------


@functools.lru_cache(maxsize=8)
def _validator(contract: Contract | None) -> Validator:
    return Validator(contract)


def assert_valid_event(payload: Any, *, contract: Contract | None = None) -> Any:
    """Return the parsed event, or raise :class:`AssertionError` listing every violation."""
    __tracebackhide__ = True
    report = _validator(contract).check(payload)
    if not report.valid:
        raise AssertionError(_describe_report(report, _validator(contract).contract))
    return report.event


def _describe_report(report: Report, contract: Contract) -> str:
    """A violation per line: where, which rule, what is wrong."""
    head = (
        f"event breaks the contract ({contract.method} {contract.path}): "
        f"{len(report.violations)} violation(s)"
    )
    return "\n".join([head, *table(report.violations)])


# -- run lifecycle ------------------------------------------------------------


def assert_run_lifecycle(
    events: Sequence[Any], run_id: str, *, contract: Contract | None = None
) -> list[Any]:
    """Check one run's events, in the order received, and return them.

    One START first; RUNNING only between START and the end; exactly one of
    COMPLETE, FAIL or ABORT; OTHER (or no event type) anywhere after START,
    the end included, as the OpenLineage spec allows; event time never going back.
    """
    __tracebackhide__ = True
    contract = contract if contract is not None else Contract.load()
    fields = contract.anatomy
    fields.require_lifecycle(contract.source)
    assert fields.run_id and fields.event_type and fields.event_time  # for mypy, after the check
    run = [e for e in events if get(e, fields.run_id) == run_id]
    id_at = pointer(list(fields.run_id))
    if not run:
        seen = sorted({str(get(e, fields.run_id)) for e in events})
        raise AssertionError(
            f"no event with {id_at} = {run_id!r} among {len(events)} received"
            + (f"; runs seen: {', '.join(seen)}" if seen else "")
        )
    problems: list[str] = []
    kinds = [get(e, fields.event_type) for e in run]
    if kinds[0] != START:
        problems.append(f"the first event is {_kind(kinds[0])}, not {START}")
    starts = [i for i, k in enumerate(kinds) if k == START]
    if len(starts) != 1:
        problems.append(
            f"{len(starts)} {START} events (at #{', #'.join(map(str, starts))})"
            if starts
            else f"no {START} event"
        )
    ends = [i for i, k in enumerate(kinds) if k in TERMINAL]
    if len(ends) != 1:
        listed = ", ".join(f"#{i} {kinds[i]}" for i in ends)
        problems.append(
            f"{len(ends)} terminal events ({listed})"
            if ends
            else f"no terminal event ({', '.join(TERMINAL)})"
        )
    end = ends[0] if ends else len(kinds)
    for i, kind in enumerate(kinds):
        if kind == RUNNING and (i > end or (starts and i < starts[0])):
            problems.append(f"#{i} {RUNNING} outside START..{'/'.join(TERMINAL)}")
    time_at = pointer(list(fields.event_time))
    previous: tuple[int, Instant] | None = None
    for i, event in enumerate(run):
        value = get(event, fields.event_time)
        instant = as_instant(value)
        if instant is None:
            problems.append(f"#{i} {time_at} is not an RFC 3339 date-time: {_render(value)}")
            continue
        if previous is not None and instant < previous[1]:
            problems.append(f"#{i} {time_at} goes back in time from #{previous[0]}")
        previous = (i, instant)
    if problems:
        type_at = pointer(list(fields.event_type))
        listing = "\n".join(
            f"  #{i} {type_at}={_kind(get(e, fields.event_type))} "
            f"{time_at}={_render(get(e, fields.event_time))}"
            for i, e in enumerate(run)
        )
        raise AssertionError(
            f"run {run_id} does not follow the lifecycle:\n"
            + "\n".join(f"- {p}" for p in problems)
            + f"\nits {len(run)} event(s), in the order received:\n{listing}"
        )
    return run


def _kind(value: Any) -> str:
    return "(none)" if value is MISSING else str(value)
