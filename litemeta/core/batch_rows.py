"""What a batch knows of the stored rows: row 0 of each (urn, aspect) it decides on, in memory.

:class:`BatchRows` is the loading half of :class:`litemeta.core.ingest.Batch`: row 0 of what a
batch's proposals can need is read up front with one indexed query per 500 (urn, aspect)
(:meth:`BatchRows.load_needed`), any other aspect when a decision first asks for it
(:meth:`BatchRows.slot`), and each (urn, aspect) then lives in a :class:`Slot` that the batch's
decisions update in order and its flush writes (design.md rule 6: the result equals writing the
proposals one at a time).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Sequence, Set, Tuple

from litemeta.core import structured as S
from litemeta.core.prepare import encodable
from litemeta.errors import LitemetaError
from litemeta.model.proposal import Proposal
from litemeta.model.registry import EntitySpec, Registry
from litemeta.model.urns import entity_type_of
from litemeta.storage import aspects as A
from litemeta.storage.db import Connection

# Aspects a new entity's defaults look at (R1.23, choice 3), read with each urn of a batch that has no key.
DEFAULT_LOOKUPS = ("browsePathsV2", "dataPlatformInstance", "container")

# An input record after normalisation: the proposals it expands to (an MCE gives several), or an error.
Group = List[Proposal]


@dataclass
class Slot:
    """In-memory state of one (urn, aspect) during a batch."""

    row0: Optional[A.StoredRow]
    in_db: bool
    archives: Dict[int, A.StoredRow] = field(default_factory=dict)
    db_max: Optional[int] = None
    db_max_loaded: bool = False
    wiped: bool = False
    dirty: bool = False
    retention_ceiling: int = 0
    deleted_versions: List[int] = field(default_factory=list)


class BatchRows:
    """The row-0 cache of a :class:`litemeta.core.ingest.Batch` (which sets these attributes)."""

    conn: Connection
    registry: Registry
    slots: Dict[Tuple[str, str], Slot]
    urn_aspects: Dict[str, Set[str]]
    loaded: Set[str]  # urns whose every aspect is in ``slots``
    partial: Dict[str, Set[str]]  # urns of which only these aspects were read (load_needed)
    wiped_urns: Set[str]

    def load(self, urns: Iterable[str]) -> None:
        """Read row 0 of every aspect of the urns not yet loaded (one query per 500 urns)."""
        todo = [u for u in set(urns) if u not in self.loaded and u not in self.wiped_urns]
        if not todo:
            return
        rows = A.load_latest(self.conn, todo)
        self.loaded.update(todo)
        self._add_rows(rows)

    def load_needed(self, groups: Sequence[Group]) -> None:
        """Read row 0 of what a batch's proposals can need, with one indexed query per 500
        (urn, aspect): each proposal's aspect and each urn's key aspect; then, for the urns
        without a key (entities the batch may create), the aspects their defaults look at
        (:data:`DEFAULT_LOOKUPS`). Any other aspect of these urns is read when a decision first
        asks for it (:meth:`slot`); on the 20k corpus this reads 12k of the 60k rows (6 of the
        53 MB) that loading every aspect of the batch's urns does."""
        wanted: Dict[str, Set[str]] = {}
        kinds: Dict[str, Optional[EntitySpec]] = {}
        entities = self.registry.entities
        for g in groups:
            for p in g:
                urn = p.entity_urn
                if not urn or not encodable(urn):
                    continue  # (an urn that is not Unicode text fails validation; it cannot even be looked up)
                names = wanted.get(urn)
                if names is None:
                    names = wanted[urn] = set()
                    ent = kinds[urn] = entities.get(p.entity_type or urn_entity_type(urn))
                    if ent is not None:
                        names.add(ent.key_aspect)
                if p.aspect_name and p.aspect_name in self.registry.aspects:  # (others fail validation)
                    names.add(p.aspect_name)
                for prop in S.property_urns(p.aspect) if p.aspect_name == S.ASPECT else ():  # their definitions
                    wanted.setdefault(prop, set()).update((S.DEFINITION, "status"))
                    kinds.setdefault(prop, None)
        todo = {
            u: n
            for u, n in wanted.items()
            if u not in self.loaded and u not in self.partial and u not in self.wiped_urns
        }
        if not todo:
            return
        self._add_rows(A.load_pairs(self.conn, [(u, a) for u, names in todo.items() for a in names]))
        self.partial.update(todo)
        more: List[Tuple[str, str]] = []
        for urn, names in todo.items():
            ent = kinds[urn]
            if ent is None or (urn, ent.key_aspect) in self.slots:
                continue
            for name in DEFAULT_LOOKUPS:
                if name not in names and ent.has_aspect(name):
                    names.add(name)
                    more.append((urn, name))
        if more:
            self._add_rows(A.load_pairs(self.conn, more))

    def _add_rows(self, rows: Dict[Tuple[str, str], A.StoredRow]) -> None:
        for key, row in rows.items():
            if key not in self.slots:  # a slot already in memory is newer than the database
                self.slots[key] = Slot(row0=row, in_db=True)
                self.urn_aspects.setdefault(key[0], set()).add(key[1])

    def slot(self, urn: str, aspect: str) -> Slot:
        s = self.slots.get((urn, aspect))
        if s is not None:
            return s
        if urn not in self.wiped_urns:  # after a key DELETE, an aspect not in memory is gone
            fetched = self.partial.get(urn)
            if fetched is None and urn not in self.loaded:
                # an urn outside the batch (a container, a platform): only the aspect asked for
                fetched = self.partial[urn] = set()
            if fetched is not None and aspect not in fetched:
                fetched.add(aspect)
                self._add_rows(A.load_pairs(self.conn, [(urn, aspect)]))
            s = self.slots.get((urn, aspect))
            if s is not None:
                return s
        s = self.slots[(urn, aspect)] = Slot(row0=None, in_db=False)
        self.urn_aspects.setdefault(urn, set()).add(aspect)
        return s

    def _same_as_stored(self, urn: str, aspect: str, value: Any) -> bool:
        """The value equals row 0 as this batch has it (rows already read only: no query)."""
        s = self.slots.get((urn, aspect))
        return s is not None and s.row0 is not None and type(value) is dict and s.row0.value == value

    def current(self, urn: str, aspect: str) -> Optional[A.StoredRow]:
        return self.slot(urn, aspect).row0

    def entity_exists(self, urn: str, entity_type: str) -> bool:
        """R1.23 / R1.6: an entity exists when its key aspect row exists."""
        key = self.registry.entities[entity_type].key_aspect
        return self.current(urn, key) is not None

    def _db_max(self, urn: str, aspect: str, s: Slot) -> Optional[int]:
        if not s.db_max_loaded:
            s.db_max = None if (s.wiped or urn in self.wiped_urns) else A.max_version(self.conn, urn, aspect)
            s.db_max_loaded = True
        known = max(s.archives) if s.archives else None
        vals = [v for v in (s.db_max, known) if v is not None]
        return max(vals) if vals else None


def urn_entity_type(urn: str) -> str:
    """The entity type an urn names, or ``""`` for a malformed urn (validation rejects its proposal)."""
    try:
        return entity_type_of(urn)
    except LitemetaError:  # a malformed urn: validation rejects its proposal
        return ""
