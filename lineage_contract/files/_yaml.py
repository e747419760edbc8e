"""YAML: each document is an event, or a sequence of events, placed by its nodes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

import yaml

from ..validation._report import Kind, Violation
from ..validation._validator import Validator
from ._json_lines import decode_utf8
from ._locate import line_col, yaml_position
from ._outcome import Outcome, Placed, Tracing, json_violation, judge_value, keeps_contract


class _YamlLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe YAML whose timestamps stay the strings they were written as (JSON has no dates)."""


_YamlLoader.add_constructor(
    "tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node)
)


def judge_yaml(
    validator: Validator,
    name: str,
    stream: IO[bytes],
    *,
    limit: int,
    trace: Tracing | None = None,
) -> Iterator[Outcome]:
    """Each YAML document is an event, or a sequence of events (for a batch operation,
    one batch).

    The file is parsed whole, so it is held to ``limit`` bytes as one event is.
    """
    data = stream.read(limit + 1)
    if len(data) > limit:
        message = f"YAML file longer than the limit of {limit:,} bytes (YAML is read whole)"
        violation = Violation(Kind.TOO_LARGE, "maxEventBytes", message)
        yield Outcome(name, 0, 1, 1, (Placed(violation, 1, 1),))
        return
    text, bad = decode_utf8(data)
    if bad is not None:
        line, column = line_col(text, bad)
        message = f"invalid UTF-8 at character {bad} (YAML here must be UTF-8)"
        yield Outcome(name, 0, line, column, (Placed(json_violation(message), line, column),))
        return
    loader = _YamlLoader(text)
    index = 0
    try:
        while loader.check_node():
            node = loader.get_node()
            value = loader.construct_document(node)
            if (
                isinstance(node, yaml.SequenceNode)
                and isinstance(value, list)
                and not validator.contract.batch
            ):
                pairs = list(zip(node.value, value, strict=True))
            else:
                pairs = [(node, value)]
            for event_node, event in pairs:
                yield _yaml_outcome(validator, name, index, event_node, event, trace)
                index += 1
    except (yaml.YAMLError, ValueError) as exc:
        # ValueError: an integer of more digits than int() converts.
        yield _yaml_error(name, index, exc)
        return
    finally:
        loader.dispose()
    if not index:
        message = "empty file: expected at least one event"
        yield Outcome(name, 0, 1, 1, (Placed(Violation(Kind.JSON, "yaml", message), 1, 1),))


def _yaml_error(name: str, index: int, exc: yaml.YAMLError | ValueError) -> Outcome:
    mark = None
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
    message = f"not valid YAML: {getattr(exc, 'problem', None) or exc}"
    if mark is None:
        return Outcome(name, index, None, None, (Placed(Violation(Kind.JSON, "yaml", message)),))
    line, column = mark.line + 1, mark.column + 1
    violation = Violation(Kind.JSON, "yaml", message)
    return Outcome(name, index, line, column, (Placed(violation, line, column),))


def _yaml_outcome(
    validator: Validator,
    name: str,
    index: int,
    node: yaml.Node,
    event: Any,
    trace: Tracing | None = None,
) -> Outcome:
    line, column = node.start_mark.line + 1, node.start_mark.column + 1
    violations = judge_value(validator, event)
    # An event with warnings only keeps the contract: the checks across events see it.
    traced = trace(event, None) if trace is not None and keeps_contract(violations) else None
    problems = tuple(Placed(v, *yaml_position(node, v.pointer)) for v in violations)
    return Outcome(name, index, line, column, problems, traced)
