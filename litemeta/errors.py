"""The one exception root of litemeta, and its family.

Every error a user can meet derives from :class:`LitemetaError`. Errors about a record name the
record (file and index), the urn, the aspect, the field path, what was expected and what was
found, so a message is useful without a traceback.
"""

from __future__ import annotations

from typing import Any, Dict, Optional


class LitemetaError(Exception):
    """Root of every error raised on purpose by litemeta."""


class ConfigurationError(LitemetaError):
    """Bad settings, recipe or command-line configuration."""


class StorageError(LitemetaError):
    """The store could not be opened, read or written (driver errors are translated to this)."""


class SearchIndexDamaged(StorageError):
    """The search index beside a store cannot be used as it is (a missing or corrupt file, another
    schema, another store's index); litemeta rebuilds it, it never answers from it."""


class ExportError(LitemetaError):
    """A topic export or import failed (names topic, partition and offset where known)."""


class PipelineError(LitemetaError):
    """Raised by :meth:`litemeta.workflow.run.Pipeline.raise_from_status` when a run had failures
    (or warnings, if asked)."""


class EmitError(LitemetaError):
    """Raised by the emitter's ``emit`` when the item was rejected; ``report`` (the ingest's
    :class:`~litemeta.core.ingest.IngestReport`) names why."""

    def __init__(self, report: Any) -> None:
        self.report = report
        msgs = "; ".join(e.get("message", "") for e in report.errors[:3])
        super().__init__(f"{report.failed} proposal(s) rejected: {msgs}")


class InputError(LitemetaError):
    """A file or stream could not be read at all, or a part of it is unreadable.

    Carries the file, the index of the record it concerns (when the reader knows it) and any
    finer position (``bytes 10-20``, ``line 3``), and renders them itself:

        >>> str(InputError("invalid JSON", file="a.json", index=3, position="bytes 10-20"))
        'a.json, record #3, bytes 10-20: invalid JSON'
        >>> InputError("invalid JSON", file="a.json", index=3).as_dict()["index"]
        3
    """

    def __init__(
        self, message: str, *, file: Optional[str] = None, index: Optional[int] = None, position: Optional[str] = None
    ) -> None:
        self.message = message
        self.file = file
        self.index = index
        self.position = position
        super().__init__(self.describe())

    def describe(self) -> str:
        """One line: ``file, record #index, position: message`` (the parts that are known)."""
        record = f"record #{self.index}" if self.index is not None else None
        where = ", ".join(x for x in (self.file, record, self.position) if x)
        return f"{where}: {self.message}" if where else self.message

    def as_dict(self) -> Dict[str, Any]:
        """The JSON form used by reports: file, index, urn, aspect, path (None), position, message."""
        return {
            "file": self.file,
            "index": self.index,
            "urn": None,
            "aspect": None,
            "path": None,
            "position": self.position,
            "message": self.message,
        }


class ValidationError(LitemetaError):
    """A proposal does not fit DataHub's model. Carries where it came from and what is wrong."""

    def __init__(
        self,
        message: str,
        *,
        file: Optional[str] = None,
        index: Optional[int] = None,
        urn: Optional[str] = None,
        aspect: Optional[str] = None,
        path: Optional[str] = None,
    ) -> None:
        self.message = message
        self.file = file
        self.index = index
        self.urn = urn
        self.aspect = aspect
        self.path = path
        super().__init__(self.describe())

    def describe(self) -> str:
        """One line: ``file[#index] urn aspect path: message``."""
        where = []
        if self.file is not None or self.index is not None:
            where.append(f"{self.file or '<input>'}#{self.index if self.index is not None else '?'}")
        if self.urn:
            where.append(printable(self.urn))
        if self.aspect:
            where.append(f"aspect {self.aspect}")
        if self.path:
            where.append(f"at {self.path}")
        return (" ".join(where) + ": " if where else "") + self.message

    def located(self, *, file: Optional[str], index: Optional[int]) -> "ValidationError":
        """Return this error with the record's location filled in where missing."""
        if self.file is None:
            self.file = file
        if self.index is None:
            self.index = index
        self.args = (self.describe(),)
        return self

    def as_dict(self) -> Dict[str, Any]:
        """The JSON form used by reports: file, index, urn, aspect, path, message."""
        return {
            "file": self.file,
            "index": self.index,
            "urn": self.urn,
            "aspect": self.aspect,
            "path": self.path,
            "message": self.message,
        }


class InvalidUrnError(ValidationError):
    """A urn does not follow DataHub's grammar (R6.1-R6.3) or its entity's key."""


class UnknownEntityError(ValidationError):
    """The entity type is not in the registry."""


class UnknownAspectError(ValidationError):
    """The aspect is not in the registry, or not registered for the entity."""


class SchemaError(ValidationError):
    """An aspect value does not match its Avro schema."""


class ChangeTypeError(ValidationError):
    """The change type is not allowed for the aspect's kind (design.md, litemeta's choices 1)."""


class PatchError(ValidationError):
    """A PATCH could not be applied."""


class ConflictError(ValidationError):
    """A precondition failed: a conditional header (R1.44), CREATE (R1.29) or CREATE_ENTITY (R1.30)."""

    def __init__(
        self, message: str, *, header: Optional[str] = None, expected: Any = None, actual: Any = None, **where: Any
    ) -> None:
        self.header = header
        self.expected = expected
        self.actual = actual
        super().__init__(message, **where)


def error_dict(e: BaseException) -> Dict[str, Any]:
    """The report form of any error: ``file, index, urn, aspect, path, message`` (and ``position`` for
    unreadable input); an error litemeta did not raise on purpose is named by its type."""
    if isinstance(e, (ValidationError, InputError)):
        return e.as_dict()
    return {
        "file": None,
        "index": None,
        "urn": None,
        "aspect": None,
        "path": None,
        "message": f"{type(e).__name__}: {e}",
    }


def printable(text: str) -> str:
    """``text`` with control characters and lone surrogates escaped (``\\n``, ``\\udc80``), so that
    a message naming a bad value stays one printable line."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() and not "\ud800" <= c <= "\udfff" else repr(c)[1:-1] for c in text)


_OS_HINTS = {
    "ENOSPC": "free some space and run the command again",
    "EDQUOT": "free some space (a disk quota is reached) and run the command again",
    "EACCES": "check the permissions, or choose another location",
    "EPERM": "check the permissions, or choose another location",
    "EROFS": "the file system is read-only; choose another location",
}


def os_problem(e: OSError) -> str:
    """An ``OSError`` as ``<what the system said>: <what to do>`` (the caller names the file)."""
    import errno

    said = e.strerror or str(e) or type(e).__name__
    hint = _OS_HINTS.get(errno.errorcode.get(e.errno or 0, ""))
    return f"{said}: {hint}" if hint else said
