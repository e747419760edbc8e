"""A mock of the contract's endpoint: answers like it, records every request, fails on demand.

:func:`create_app` builds the WSGI app (any WSGI server can run it; see
:func:`app_from_env` for a factory configured from the environment) and
:class:`MockServer` runs one on werkzeug's threaded server, for tests. The
journal keeps every request with its verdict, in memory or in SQLite shared by
worker processes; faults make the next requests fail, wait or drop; :class:`Forwarding`
sends what the mock accepts on to a real backend.
"""

from ._app import ADMIN_PREFIX, MockApp, create_app
from ._faults import Fault, FaultError, Faults
from ._forward import Forwarding
from ._journal import Journal, JournalTimeout, MemoryJournal, Record, SqliteJournal, Upstream
from ._server import MockServer
from ._serving import app_from_env

__all__ = [
    "ADMIN_PREFIX",
    "Fault",
    "FaultError",
    "Faults",
    "Forwarding",
    "Journal",
    "JournalTimeout",
    "MemoryJournal",
    "MockApp",
    "MockServer",
    "Record",
    "SqliteJournal",
    "Upstream",
    "app_from_env",
    "create_app",
]
