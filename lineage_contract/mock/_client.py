"""Pointing OpenLineage clients at a mock: the environment and the config file they read.

The pytest plugin's ``openlineage_env`` and ``lineage-contract run`` both use it.
openlineage-python reads ``OPENLINEAGE_URL``/``_ENDPOINT``/``_API_KEY``, but a
config file (``OPENLINEAGE_CONFIG``, else ``openlineage.yml`` in the working
directory) wins over them, so one naming the mock is written and named too;
Airflow's provider reads its transport from ``AIRFLOW__OPENLINEAGE__TRANSPORT``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._server import MockServer

ENV_PREFIX = "OPENLINEAGE"
"""Every variable of the OpenLineage client starts so; the others are removed."""


def transport(server: MockServer, token: str, *, gzip: bool = False) -> dict[str, Any]:
    """The client's ``http`` transport configuration for ``server``."""
    config: dict[str, Any] = {
        "type": "http",
        "url": server.url,
        "endpoint": server.endpoint[len(server.url) :],
        "auth": {"type": "api_key", "apiKey": token},
    }
    if gzip:
        config["compression"] = "gzip"
    return config


def write_config(server: MockServer, token: str, path: Path, *, gzip: bool = False) -> Path:
    """An ``openlineage.yml`` naming the mock (JSON, which is YAML), at ``path``."""
    config = {"transport": transport(server, token, gzip=gzip)}
    path.write_text(json.dumps(config, indent=2), encoding="utf-8")
    return path


def client_environment(
    server: MockServer, token: str, config: Path, *, gzip: bool = False
) -> dict[str, str]:
    """The variables that point OpenLineage clients at ``server`` (``config`` written first)."""
    return {
        "OPENLINEAGE_URL": server.url,
        "OPENLINEAGE_ENDPOINT": server.endpoint[len(server.url) :],
        "OPENLINEAGE_API_KEY": token,
        "OPENLINEAGE_CONFIG": str(config),
        "AIRFLOW__OPENLINEAGE__TRANSPORT": json.dumps(transport(server, token, gzip=gzip)),
    }


def without_openlineage(environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` less every ``OPENLINEAGE*`` variable, so that none of them wins."""
    return {k: v for k, v in environ.items() if not k.startswith(ENV_PREFIX)}
