"""Derive the relevance queries from the corpus's source metadata: ``python -m tests.relevance.generate``.

Writes ``tests/relevance/queries.json``: ``{"seed", "entities", "queries": [{"class", "query",
"expected"}]}``. Each query is built mechanically from one entity's source values, and kept only
when those values single the entity out among all the corpus's source values (computed here, with
a plain word split, never with litemeta), so the expected entity is the right answer:

- ``name``: an entity's name (dataset, glossary term, tag, person, chart or dashboard title),
  when no other entity has the same name (case and accents ignored);
- ``description``: the first five words of a description, when no other description holds those
  five words in a row;
- ``column``: a column name that only one dataset has;
- ``typing``: the start of a unique name, cut inside its last word (a user still typing), when no
  other name starts the same way;
- ``unaccented``: a name with accents, typed without them ("Jose Alvarez"), when unique.
"""

from __future__ import annotations

import bisect
import json
import random
import re
import sys
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List, Tuple

from tests.relevance.corpus import Entity, build

SEED = 14
OUT = Path(__file__).with_name("queries.json")
PER_CLASS = {"name": 110, "description": 110, "column": 60, "typing": 40, "unaccented": 30}


def plain(text: str) -> str:
    """Lowercase without accents (the comparison key for "the same name")."""
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("ß", "ss").replace("ø", "o").replace("ł", "l"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def tokens(text: str) -> List[str]:
    """The words of a text (letters and digits), compared without case and accents."""
    return re.findall(r"[a-z0-9]+", plain(text))


def queries(entities: List[Entity], seed: int = SEED) -> List[Dict[str, str]]:
    """The query set (see the module docstring), in a stable order."""
    rng = random.Random(seed)
    out: List[Dict[str, str]] = []
    names = Counter(plain(e.name) for e in entities)
    unique = [e for e in entities if names[plain(e.name)] == 1 and tokens(e.name)]

    def take(cls: str, pairs: List[Tuple[str, str]]) -> None:
        pairs = sorted(set(pairs))
        rng.shuffle(pairs)
        out.extend({"class": cls, "query": q, "expected": u} for q, u in pairs[: PER_CLASS[cls]])

    take("name", [(e.name, e.urn) for e in unique])

    texts = [tokens(e.description) for e in entities]
    grams: Dict[int, Counter] = {}  # n -> every run of n words, counted once per description

    def count(key: Tuple[str, ...]) -> int:
        n = len(key)
        if n not in grams:
            grams[n] = Counter()
            for ws in texts:
                grams[n].update({tuple(ws[i : i + n]) for i in range(len(ws) - n + 1)})
        return grams[n][key]

    phrases = []
    for e in entities:
        first = e.description.split()[:5]
        key = tuple(tokens(" ".join(first)))
        if len(first) == 5 and key and count(key) == 1:
            phrases.append((" ".join(w.strip(".,;:") for w in first), e.urn))
    take("description", phrases)

    columns = Counter(plain(c) for e in entities for c in set(e.columns))
    take("column", [(c, e.urn) for e in entities for c in e.columns if columns[plain(c)] == 1])

    typing = []
    ordered = sorted(plain(e.name) for e in entities)
    for e in unique:
        words = e.name.split()
        last = words[-1]
        if len(last) < 6:
            continue
        prefix = " ".join(words[:-1] + [last[: len(last) * 2 // 3]])
        start = bisect.bisect_left(ordered, plain(prefix))
        if ordered[start + 1 : start + 2] == [] or not ordered[start + 1].startswith(plain(prefix)):
            typing.append((prefix, e.urn))
    take("typing", typing)

    take("unaccented", [(plain(e.name), e.urn) for e in unique if plain(e.name) != e.name.lower()])
    return out


def generate(seed: int = SEED) -> Dict[str, Any]:
    """The whole relevance set for a seed."""
    entities, _records = build(seed)
    return {"seed": seed, "entities": len(entities), "queries": queries(entities, seed)}


def main() -> int:
    """Write queries.json and print the counts per class."""
    data = generate()
    OUT.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(
        f"{data['entities']} entities, {len(data['queries'])} queries:",
        dict(Counter(q["class"] for q in data["queries"])),
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
