"""The rules litemeta cites live in the repository: every ``R<section>.<n>`` named in the code, the
tests, the benchmarks or the docs is defined in ``docs/datahub-semantics.md``, and each cited
rule names the DataHub source file it was read in (in its own text, or in its section's heading
or opening ``Sources:`` line)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, Iterable, List, Set, Tuple

import pytest

ROOT = Path(__file__).resolve().parents[1]
RULES_DOC = ROOT / "docs" / "datahub-semantics.md"
CITATION = re.compile(r"\bR(\d+)\.(\d+)\b")
DEFINITION = re.compile(r"^\s*[-*]\s+\**(R\d+\.\d+)\**\s")
# a path with a source-file suffix, e.g. `metadata-io/.../EntityServiceImpl.java@0232b1cb` or `rest_emitter.py`
SOURCE_FILE = re.compile(r"`[^`]*?[\w-]+\.(?:java|pdl|py|yaml|yml|gradle|avsc|graphql|ts|md)\b[^`]*`")
# a Java class (its file bears its name), optionally with a method or commit: `ChangeItemImpl@1057f596`
JAVA_CLASS = re.compile(r"`[A-Z][a-z]+(?:[A-Z][a-z0-9]*)+(?:[.#@][\w()]+)*`")


def citing_files() -> List[Path]:
    """Where rules are cited: the package, the tests, the benchmarks, the README and the docs."""
    files = [
        p
        for d in ("litemeta", "tests", "benchmarks")
        for p in sorted((ROOT / d).rglob("*"))
        if p.suffix in (".py", ".md", ".txt") and "__pycache__" not in p.parts
    ]
    return files + [ROOT / "README.md", ROOT / "CONTRIBUTING.md"] + sorted((ROOT / "docs").glob("*.md"))


def citations(texts: Iterable[Tuple[str, str]]) -> Dict[str, Set[str]]:
    """Rule number -> the names of the texts that cite it."""
    out: Dict[str, Set[str]] = {}
    for name, text in texts:
        for m in CITATION.finditer(text):
            out.setdefault(f"R{m.group(1)}.{m.group(2)}", set()).add(name)
    return out


def parse_rules(doc: str) -> Tuple[Dict[str, str], Dict[str, str]]:
    """(rule -> its text, rule -> the heading and opening lines of its section)."""
    rules: Dict[str, str] = {}
    section_of: Dict[str, str] = {}
    preamble: List[str] = []
    current = None
    in_preamble = False
    for line in doc.splitlines():
        if line.startswith("#"):
            preamble, current, in_preamble = [line], None, True
            continue
        m = DEFINITION.match(line)
        if m:
            current, in_preamble = m.group(1), False
            rules[current] = line
            section_of[current] = "\n".join(preamble)
        elif current is not None and (line.startswith("  ") or not line.strip()):
            rules[current] += "\n" + line
        else:
            current = None
            if in_preamble:
                preamble.append(line)
    return rules, section_of


def short_names(doc: str) -> Set[str]:
    """The short names the doc's "How to read this" defines as source files (`Name`: `path`)."""
    return set(re.findall(r"^\s*- `(\w+)`: `[^`]+\.\w+`", doc, re.M))


def names_a_source(text: str, names: Set[str]) -> bool:
    if SOURCE_FILE.search(text) or JAVA_CLASS.search(text):
        return True
    return any(re.search(rf"`{n}\b", text) for n in names)


def undefined(cited: Dict[str, Set[str]], rules: Dict[str, str]) -> Dict[str, List[str]]:
    return {r: sorted(where) for r, where in cited.items() if r not in rules}


DOC = RULES_DOC.read_text(encoding="utf-8")
RULES, SECTIONS = parse_rules(DOC)
CITED = citations(
    (str(p.relative_to(ROOT)), p.read_text(encoding="utf-8", errors="replace")) for p in citing_files() if p.exists()
)


def test_the_rules_document_is_in_the_repository() -> None:
    assert len(RULES) > 90, f"{RULES_DOC} defines only {len(RULES)} rules"
    assert len(CITED) > 50, "rule citations were not found: is the scan looking in the right places?"


def test_every_cited_rule_is_defined() -> None:
    missing = undefined(CITED, RULES)
    assert not missing, f"rules cited but not defined in docs/datahub-semantics.md: {missing}"


def test_an_undefined_citation_is_caught() -> None:
    """The check above can fail: a citation of a rule the doc does not define is reported."""
    unknown = "R" + "99.7"  # spelled in two parts, so that this file does not cite it
    cited = citations([("x.py", f"# DataHub does this (R1.1), and that ({unknown})")])
    assert undefined(cited, RULES) == {unknown: ["x.py"]}
    assert not names_a_source("- R1.1 The table is called metadata_aspect_v2.", short_names(DOC))


@pytest.mark.parametrize("rule", sorted(CITED, key=lambda r: tuple(int(x) for x in r[1:].split("."))))
def test_every_cited_rule_names_its_datahub_source(rule: str) -> None:
    if rule not in RULES:
        pytest.skip("undefined: reported by test_every_cited_rule_is_defined")
    names = short_names(DOC)
    assert names_a_source(RULES[rule], names) or names_a_source(SECTIONS[rule], names), (
        f"{rule} names no DataHub source file (a path, or one of {sorted(names)}) in its text or its "
        f"section's heading:\n{RULES[rule]}"
    )
