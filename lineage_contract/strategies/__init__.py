"""Hypothesis strategies for lineage events, built by walking the contract's request schema.

* :func:`valid_events` draws events the contract accepts.
* :func:`invalid_events` draws :class:`BrokenEvent` s: a valid event with exactly
  one rule of the document broken, saying where (``pointer``) and which
  (``keyword``). :func:`rules` lists the rules it chooses from.
* :func:`run_lifecycles` draws the events of one run, in order.

For a batch operation (``Contract.batch``) :func:`valid_events` draws arrays whose
every element is a valid event, and :func:`invalid_events` arrays of valid events
with one broken element (its ``pointer`` under ``/<index>``); :func:`run_lifecycles`
draws the events themselves.

How: :mod:`lineage_contract.strategies._schema_view` flattens the contract's request
schema into what one value at one place must satisfy,
:mod:`lineage_contract.strategies._builder` compiles that into strategies, with the value
hints of :mod:`lineage_contract.strategies._hints` making values look like OpenLineage, and
:mod:`lineage_contract.strategies._rules` lists the rules and breaks them. Change the
document and the strategies follow.

Options (keyword-only): ``max_datasets`` bounds every array, ``max_facets``
every open map. ``event_type`` fixes the event type and ``job`` is merged into
(dicts) or replaces the job; both are located by :mod:`lineage_contract.contract._anatomy`,
as are the event type, run id and event time of run lifecycles.

Importing this module registers nothing with Hypothesis and needs no network.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any, Final

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from ..contract._anatomy import MISSING, OTHER, RUNNING, START, TERMINAL, get
from ..contract._document import Contract
from ..contract._refs import Refs
from ..errors import ContractError
from . import _hints as hints
from ._builder import DEFAULT_MAX_DATASETS, DEFAULT_MAX_FACETS, Builder, Fix
from ._rules import BrokenEvent, Rule, broken, rules, validator_for, walk_rules
from ._schema_view import ITEM, KEY, Flat, Model, escape, model_for

__all__ = [
    "ITEM",
    "KEY",
    "BrokenEvent",
    "Rule",
    "invalid_events",
    "rules",
    "run_lifecycles",
    "valid_events",
]


_MIDDLE: Final = (RUNNING, OTHER)


def _root_flat(model: Model) -> Flat:
    for flat in model.variants(("",)):
        if flat.satisfiable and flat.allows("object"):
            return flat
    raise ContractError(f"{model.contract.source}: the request body is never an object")


def _fixes(model: Model, event_type: str | None, job: Any) -> dict[str, Fix]:
    fixes: dict[str, Fix] = {}
    root = _root_flat(model)
    anatomy = model.contract.anatomy
    if event_type is not None:
        if anatomy.event_type is None or len(anatomy.event_type) != 1:
            raise ContractError(
                f"{model.contract.source}: the event has no event type enum at its root "
                "to fix with event_type="
            )
        path, states = anatomy.event_type[0], anatomy.states
        if event_type not in states:
            raise InvalidArgument(
                f"event_type={event_type!r} is not allowed by the contract; "
                f"{path!r} is one of {', '.join(map(str, states))}"
            )
        fixes[path] = Fix(event_type, merge=False)
    if job is not None:
        if not anatomy.job:
            raise ContractError(
                f"{model.contract.source}: the event has no job (a required object of "
                "required strings) to fix with job="
            )
        name = anatomy.job[0][0]
        _check_fixed(model, root.properties[name], job, f"/{name}")
        fixes[name] = Fix(job, merge=isinstance(job, Mapping))
    return fixes


def _check_fixed(model: Model, governing: tuple[str, ...], value: Any, where: str) -> None:
    """Refuse an override that no valid event could carry, naming where it fails."""
    if not isinstance(value, Mapping):
        if not model.check(governing)(value):
            raise InvalidArgument(f"the value given for {where} is not valid there: {value!r}")
        return
    flats = [f for f in model.variants(governing) if f.satisfiable and f.allows("object")]
    if not flats:
        raise InvalidArgument(f"{where} is never an object in the contract")
    flat = flats[0]
    for key, sub in value.items():
        child = flat.properties.get(key)
        if child is None:
            if flat.extra is None:
                raise InvalidArgument(f"{where}/{key} is not allowed by the contract")
            child = flat.extra
        if child:
            _check_fixed(model, child, sub, f"{where}/{escape(key)}")


def _check_bound(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidArgument(f"{name} must be a non-negative integer, got {value!r}")


def _builder(
    contract: Contract | None, event_type: str | None, job: Any, max_datasets: int, max_facets: int
) -> tuple[Model, Builder]:
    """The options of valid_events/invalid_events, checked, and the builder they make."""
    _check_bound("max_datasets", max_datasets)
    _check_bound("max_facets", max_facets)
    model = model_for(contract)
    fixes = _fixes(model, event_type, job)
    return model, Builder(model, max_datasets=max_datasets, max_facets=max_facets, fixes=fixes)


def valid_events(
    contract: Contract | None = None,
    *,
    event_type: str | None = None,
    job: Any = None,
    max_datasets: int = DEFAULT_MAX_DATASETS,
    max_facets: int = DEFAULT_MAX_FACETS,
) -> st.SearchStrategy[Any]:
    """Events the contract accepts (the bundled contract by default).

    ``event_type`` fixes the event type; ``job`` (a dict) is merged into each
    event's job, overriding what was drawn; ``max_datasets`` bounds every array
    and ``max_facets`` every open map of facets.
    """
    model, builder = _builder(contract, event_type, job, max_datasets, max_facets)
    if model.contract.batch:
        return _batches(model.contract, builder.event())
    return builder.event()


DEFAULT_MAX_BATCH: Final = 5
"""Elements of a drawn batch at most, unless the contract's ``maxItems`` says fewer."""


def _batches(contract: Contract, events: st.SearchStrategy[Any]) -> st.SearchStrategy[list[Any]]:
    root = Refs(contract.request_schema, source=contract.source).follow(contract.request_schema)
    low = int(root.get("minItems", 0))
    high = max(low, min(int(root.get("maxItems", DEFAULT_MAX_BATCH)), DEFAULT_MAX_BATCH))
    return st.lists(events, min_size=low, max_size=high)


def _in_batch(contract: Contract, broken: st.SearchStrategy[BrokenEvent]) -> Any:
    events = valid_events(contract)

    def placed(parts: tuple[list[Any], BrokenEvent, list[Any]]) -> BrokenEvent:
        before, bad, after = parts
        return BrokenEvent(
            [*before, bad.event, *after], f"/{len(before)}{bad.pointer}", bad.keyword, bad.rule
        )

    short = events.map(lambda batch: batch[:2])
    return st.tuples(short, broken, short).map(placed)


def run_lifecycles(
    contract: Contract | None = None,
    *,
    max_running: int = 3,
    job: Any = None,
    max_datasets: int = DEFAULT_MAX_DATASETS,
    max_facets: int = DEFAULT_MAX_FACETS,
) -> st.SearchStrategy[list[Any]]:
    """The events of one run, in order: START, then up to ``max_running`` RUNNING or
    OTHER events, then one of COMPLETE, FAIL or ABORT (those the contract's enum has).

    Every event carries the same run id and the same required root parts as
    the START event (the run, the job, the producer); event times never go
    back, though their offsets vary. Where the event type, run id and event
    time live is read from the schema (see the module's documentation).
    Raises :class:`~lineage_contract.ContractError` when the contract has no
    event type enum with START and a terminal state, no uuid or no date-time.
    """
    _check_bound("max_running", max_running)
    model = model_for(contract)
    where = model.contract.anatomy
    where.require_lifecycle(model.contract.source)
    type_at, time_at, run_at = where.event_type, where.event_time, where.run_id
    assert type_at and time_at and run_at  # for mypy, after the check
    middle = [s for s in _MIDDLE if s in where.states]
    terminal = [s for s in TERMINAL if s in where.states]
    _, builder = _builder(model.contract, None, job, max_datasets, max_facets)
    events = builder.event()
    shared = [n for n in _root_flat(model).required if n not in (type_at[0], time_at[0])]

    @st.composite
    def lifecycle(draw: st.DrawFn) -> list[Any]:
        states = [START]
        if middle:
            states += draw(st.lists(st.sampled_from(middle), max_size=max_running))
        states.append(draw(st.sampled_from(terminal)))
        start = draw(st.integers(-hints.SPAN_SECONDS // 2, hints.SPAN_SECONDS // 2))
        gaps = draw(
            st.lists(
                st.integers(0, 6 * 3600 * 1000), min_size=len(states) - 1, max_size=len(states) - 1
            )
        )
        offsets = draw(
            st.lists(st.sampled_from(hints.OFFSETS), min_size=len(states), max_size=len(states))
        )
        first: dict[str, Any] = {}
        run_id: Any = None
        out = []
        millis = 0
        for index, state in enumerate(states):
            event = draw(events)
            if index == 0:
                first = event
                run_id = get(event, run_at)
                if run_id is MISSING:  # the run id's holder is optional and was left out
                    run_id = draw(hints.uuids())
            else:
                millis += gaps[index - 1]
                for name in shared:
                    event[name] = copy.deepcopy(first[name])
            instant = hints.instant(start, 0) + dt.timedelta(milliseconds=millis)
            _set(event, type_at, state)
            _set(event, time_at, hints.rfc3339(instant, offsets[index], 3))
            _set(event, run_at, run_id)
            out.append(event)
        return out

    return lifecycle()


def _set(event: Any, path: tuple[str, ...], value: Any) -> None:
    node = event
    for part in path[:-1]:
        node = node.setdefault(part, {})
    node[path[-1]] = value


def invalid_events(
    contract: Contract | None = None,
    *,
    select: Callable[[Rule], bool] | None = None,
    event_type: str | None = None,
    job: Any = None,
    max_datasets: int = DEFAULT_MAX_DATASETS,
    max_facets: int = DEFAULT_MAX_FACETS,
) -> st.SearchStrategy[BrokenEvent]:
    """:class:`BrokenEvent` s: valid events with exactly one rule of the contract broken.

    The rule is drawn from :func:`rules` (those ``select`` accepts, when given:
    ``select=lambda r: r.keyword == "format"``); the other options are those of
    :func:`valid_events`. The validator reports a violation at ``.pointer``
    with ``.keyword`` for every drawn event, shrunk ones included.
    """
    model, builder = _builder(contract, event_type, job, max_datasets, max_facets)
    chosen = [r for r in walk_rules(model, builder) if select is None or select(r)]
    if not chosen:
        raise InvalidArgument("no rule of the contract is selected: nothing to break")
    reported = validator_for(model)
    strategies = {r: broken(builder, r, reported) for r in chosen}
    drawn = st.sampled_from(chosen).flatmap(strategies.__getitem__)
    if model.contract.batch:
        return _in_batch(model.contract, drawn)  # type: ignore[no-any-return]
    return drawn
