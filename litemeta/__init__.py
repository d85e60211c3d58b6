"""litemeta: DataHub's metadata service as an embedded Python library over SQLite.

    >>> import litemeta
    >>> with litemeta.open_store(":memory:") as store:          # doctest: +SKIP
    ...     report = store.ingest("examples/sample.json")
    ...     store.get("urn:li:dataset:(urn:li:dataPlatform:hive,db.orders,PROD)")

The public API is declared here once.
"""

from __future__ import annotations

from typing import Any

from litemeta.errors import (
    ConfigurationError,
    ConflictError,
    ExportError,
    InputError,
    InvalidUrnError,
    LitemetaError,
    StorageError,
    UnknownAspectError,
    ValidationError,
)

__version__ = "0.1.0"  # pyproject.toml reads it from here (setuptools dynamic version)

__all__ = [
    "__version__",
    "open_store",
    "MetadataStore",
    "Proposal",
    "EmitMode",
    "LitemetaEmitter",
    "LitemetaError",
    "ValidationError",
    "UnknownAspectError",
    "InvalidUrnError",
    "ConflictError",
    "StorageError",
    "ExportError",
    "InputError",
    "ConfigurationError",
]


def __getattr__(name: str) -> Any:
    # Imported only when asked for, so that the CLI's start pays for none of them: the store pulls
    # in SQLAlchemy, Proposal the model (urns, the registry).
    if name == "Proposal":
        from litemeta.model.proposal import Proposal

        return Proposal
    if name in ("open_store", "MetadataStore"):
        from litemeta import store

        return getattr(store, name)
    if name in ("EmitMode", "LitemetaEmitter"):
        from litemeta import emitter

        return getattr(emitter, name)
    raise AttributeError(name)
