"""PATCH proposals: DataHub's template and generic patch semantics, as one pure function.

    >>> apply_patch("globalTags", {"tags": [{"tag": "urn:li:tag:a"}]},
    ...             [{"op": "add", "path": "/tags/urn:li:tag:b", "value": {"tag": "urn:li:tag:b"}}],
    ...             now_ms=0)
    {'tags': [{'tag': 'urn:li:tag:a'}, {'tag': 'urn:li:tag:b'}]}

What a PATCH yields (datahub-semantics.md R1.32, R8.14-R8.17):

- **Dispatch** (``PatchItemImpl.applyPatch``, metadata-io-api ``.../ebean/batch/PatchItemImpl.java``
  @12b14c9a): an object payload ``{"patch": [...], "arrayPrimaryKeys": {...},
  "forceGenericPatch": bool}`` goes to the generic template when ``arrayPrimaryKeys`` is non-empty
  or ``forceGenericPatch`` is true; a plain op list (or an object without either) goes to the
  aspect's template (:mod:`litemeta.core.patch_templates`). An aspect without a template fails with
  DataHub's ``"Aspect: X does not currently support patch operations."`` (``MCPItem.supportsPatch``).
- **Missing aspect**: the template's default; a template without one (versionProperties) fails
  with DataHub's "Default aspect is required" message. The generic template starts from the
  aspect's template default when it has one, else from ``{}`` (``applyGenericPatch`` at that
  revision prefers ``AspectTemplateEngine.getDefaultTemplate`` over the no-arg constructor; R8.17
  describes the older ``{}`` only).
- **Before the operations** (``TemplateUtil.populateTopLevelKeys``, ``Template.applyPatch``): for
  every op, each missing object on its path is created as ``{}``, except the last segment; for
  ``remove`` the last segment too. So ``add`` never fails for a missing parent object, and
  ``remove`` of a missing object member is a no-op (DataHub creates it, then removes it).
  litemeta splits paths keeping empty trailing segments (DataHub's ``String.split("/")`` drops them,
  which would break ``/owners/<o>/<type>//`` from the SDK) and does not walk through arrays.
- **Operations**: RFC 6902 with JSON Pointer escapes ``~0``/``~1`` (jakarta.json ``JsonPatch``, as in
  ``Template.java@de6a8303``): ``add`` on an existing member replaces it; ``replace``/``remove`` of a
  missing array index, ``replace`` of a missing member, ``test`` mismatch and ``move``/``copy``
  from a missing path fail; unknown ops fail like ``TemplateUtil.validatePatch``.
- **After**: arrays are rebuilt (R8.14, R8.16); generic patches of glossaryTermInfo /
  glossaryNodeInfo turn a null ``definition`` into ``""`` (``GenericPatchTemplate@76fdefa8``).

The result may share unchanged sub-values with ``current`` and ``patch`` (copy-on-write keeps the
hot path free of deep copies); inputs are never mutated; treat all three as read-only.
"""

from __future__ import annotations

import copy
from typing import Any, Dict, List, Optional, Sequence, Tuple

from litemeta.core.patch_arrays import KeyedArray, rebase_arrays, transform_arrays
from litemeta.core.patch_templates import TEMPLATES, array_fields
from litemeta.errors import PatchError

__all__ = ["apply_patch", "parse_patch", "ParsedPatch", "supports_template_patch"]

_OPS = ("add", "remove", "replace", "move", "copy", "test")


class ParsedPatch:
    """A decoded PATCH payload: its operations and, for a generic patch, the array keys."""

    __slots__ = ("ops", "array_primary_keys", "generic")

    def __init__(self, ops: List[Dict[str, Any]], array_primary_keys: Dict[str, List[str]], generic: bool) -> None:
        self.ops = ops
        self.array_primary_keys = array_primary_keys
        self.generic = generic


def supports_template_patch(aspect_name: str) -> bool:
    """Whether a plain (non-generic) PATCH of this aspect has a template (R1.32)."""
    return aspect_name in TEMPLATES


def parse_patch(aspect_name: str, patch: Any) -> ParsedPatch:
    """Check a PATCH payload's shape (R8.17) and say which template path it takes."""
    keys: Dict[str, List[str]] = {}
    force = False
    if isinstance(patch, dict):
        if "patch" not in patch:
            raise PatchError('a PATCH object must have a "patch" list of operations', aspect=aspect_name)
        ops = patch["patch"]
        raw_keys = patch.get("arrayPrimaryKeys") or {}
        if not isinstance(raw_keys, dict) or not all(
            isinstance(k, str) and isinstance(v, list) and all(isinstance(x, str) for x in v)
            for k, v in raw_keys.items()
        ):
            raise PatchError(
                f"arrayPrimaryKeys must map array field names to lists of key fields, got {raw_keys!r}",
                aspect=aspect_name,
            )
        keys = {k: list(v) for k, v in raw_keys.items()}
        force = patch.get("forceGenericPatch") is True
    elif isinstance(patch, list):
        ops = patch
    else:
        raise PatchError(
            f'a PATCH must be a JSON array of operations or an object with "patch", got {type(patch).__name__}',
            aspect=aspect_name,
        )
    if not isinstance(ops, list):
        raise PatchError('the "patch" of a PATCH object must be a list of operations', aspect=aspect_name)
    for index, op in enumerate(ops):
        if not isinstance(op, dict) or not isinstance(op.get("op"), str) or not isinstance(op.get("path"), str):
            raise PatchError(
                f'op {index} must be an object with string "op" and "path", got {op!r}', aspect=aspect_name
            )
        if op["op"].lower() not in _OPS:
            raise PatchError(
                f"op {index}: Unsupported PATCH operation: `{op['op']}`", aspect=aspect_name, path=op["path"]
            )
    return ParsedPatch(ops, keys, bool(keys) or force)


def apply_patch(aspect_name: str, current: Optional[Dict[str, Any]], patch: Any, *, now_ms: int) -> Dict[str, Any]:
    """Apply a PATCH payload to the current aspect value (``None`` when absent); return the new value.

    ``patch`` is the decoded ``aspect.value`` of a PATCH proposal: a list of RFC 6902 operations or
    a generic-patch object (R8.17). Raises :class:`PatchError` naming the op index, op, path and why.
    """
    parsed = parse_patch(aspect_name, patch)
    template = TEMPLATES.get(aspect_name)
    if parsed.generic:
        arrays = _generic_arrays(aspect_name, parsed.array_primary_keys)
        if current is not None:
            base = current
        elif template is not None and template.default is not None:
            base = template.default(now_ms)
        else:
            base = {}
        doc = _Doc(_fresh(base, aspect_name))
        transform_arrays(doc.root, arrays)
        _run(doc, parsed.ops, aspect_name)
        result = _result_root(doc, aspect_name)
        rebase_arrays(result, arrays)
        if (
            aspect_name in ("glossaryTermInfo", "glossaryNodeInfo")
            and "definition" in result
            and result["definition"] is None
        ):
            result["definition"] = ""
        return result
    if template is None:
        raise PatchError(f"Aspect: {aspect_name} does not currently support patch operations.", aspect=aspect_name)
    if current is None:
        if template.default is None:
            raise PatchError(
                f"Patch not supported for aspect with name {aspect_name}. Default aspect is required "
                "because no aspect currently exists.",
                aspect=aspect_name,
            )
        current = template.default(now_ms)
    doc = _Doc(_fresh(current, aspect_name))
    paths = _op_paths(parsed.ops)
    _with_aspect(lambda value, now: template.transform(value, now, paths), aspect_name, doc.root, now_ms)
    _run(doc, parsed.ops, aspect_name)
    result = _result_root(doc, aspect_name)
    _with_aspect(template.rebase, aspect_name, result, now_ms)
    return result


def _op_paths(ops: List[Dict[str, Any]]) -> Optional[List[List[str]]]:
    """Token lists of every op's path and from; None when one does not parse (the op fails later)."""
    out = []
    for op in ops:
        for key in ("path", "from"):
            if isinstance(op.get(key), str):
                try:
                    out.append(_tokens(op[key]))
                except _OpError:
                    return None
    return out


def _with_aspect(step: Any, aspect_name: str, value: Dict[str, Any], now_ms: int) -> None:
    try:
        step(value, now_ms)
    except PatchError as exc:
        if exc.aspect is None:
            exc.aspect = aspect_name
            exc.args = (exc.describe(),)
        raise


def _fresh(value: Any, aspect_name: str) -> Dict[str, Any]:
    if not isinstance(value, dict):
        raise PatchError(f"the current value must be a JSON object, got {type(value).__name__}", aspect=aspect_name)
    return dict(value)


def _result_root(doc: "_Doc", aspect_name: str) -> Dict[str, Any]:
    if not isinstance(doc.root, dict):
        raise PatchError("the patch replaced the whole aspect with a non-object", aspect=aspect_name, path="")
    return doc.root if doc.owns(doc.root) else dict(doc.root)


def _generic_arrays(aspect_name: str, keys: Dict[str, List[str]]) -> Tuple[KeyedArray, ...]:
    """The arrayPrimaryKeys of a generic patch as KeyedArrays; only top-level array fields."""
    facts = _schema_arrays(aspect_name)
    out = []
    for name, key_fields in keys.items():
        if facts is not None and name not in facts:
            raise PatchError(
                f"arrayPrimaryKeys names {name!r}, which is not a top-level array field of {aspect_name} "
                "(DataHub keys only top-level fields: GenericPatchTemplate.transformFields)",
                aspect=aspect_name,
            )
        scalar = facts.get(name, frozenset()) if facts is not None else frozenset()
        out.append(KeyedArray(name, tuple(key_fields), scalar))
    return tuple(out)


def _schema_arrays(aspect_name: str) -> Optional[Dict[str, Any]]:
    from litemeta.model.registry import load_registry

    try:
        schema = load_registry().aspect(aspect_name).schema
    except Exception:  # an aspect the registry does not know: no schema facts, no checks
        return None
    return array_fields(schema)


# ---------------------------------------------------------------------------------------------
# RFC 6902 over a copy-on-write document


class _OpError(Exception):
    """Why one operation failed (turned into a PatchError naming the op)."""


_MISSING = object()


class _Doc:
    """A JSON document that copies a container the first time a path through it is written."""

    def __init__(self, root: Any) -> None:
        self.root = root
        self._owned: Dict[int, Any] = {}
        self.own(root)

    def own(self, obj: Any) -> Any:
        self._owned[id(obj)] = obj  # kept alive here, so ids are never reused while we look
        return obj

    def owns(self, obj: Any) -> bool:
        return id(obj) in self._owned

    def _writable_child(self, container: Any, token: Any) -> Any:
        child = container[token]
        if isinstance(child, (dict, list)) and not self.owns(child):
            child = self.own(dict(child) if isinstance(child, dict) else list(child))
            container[token] = child
        return child

    def writable(self, tokens: Sequence[str], what: str) -> Any:
        """The container at ``tokens``, made writable; _OpError when it does not exist."""
        node = self.root
        for depth, token in enumerate(tokens):
            key = _step(node, token, tokens[: depth + 1], what)
            node = self._writable_child(node, key)
        return node

    def get(self, tokens: Sequence[str], what: str) -> Any:
        node = self.root
        for depth, token in enumerate(tokens):
            node = node[_step(node, token, tokens[: depth + 1], what)]
        return node

    def populate(self, tokens: Sequence[str], upto: int) -> None:
        """``populateTopLevelKeys``: create missing objects for the first ``upto`` segments."""
        node = self.root
        for token in tokens[:upto]:
            if not isinstance(node, dict):
                return
            if token not in node:
                node[token] = self.own({})
            node = self._writable_child(node, token)


def _step(node: Any, token: str, prefix: Sequence[str], what: str) -> Any:
    if isinstance(node, dict):
        if token not in node:
            raise _OpError(f"{what}: {_pointer(prefix)} not found")
        return token
    if isinstance(node, list):
        index = _index(token, len(node), prefix, allow_end=False)
        return index
    raise _OpError(f"{what}: {_pointer(prefix[:-1])} is not an object or array")


def _index(token: str, size: int, prefix: Sequence[str], *, allow_end: bool) -> int:
    if token == "-" and allow_end:
        return size
    if not token.isdigit() or (len(token) > 1 and token[0] == "0"):
        raise _OpError(f"{_pointer(prefix)}: {token!r} is not an array index")
    index = int(token)
    if index > size or (index == size and not allow_end):
        raise _OpError(f"{_pointer(prefix)}: array index {index} out of range (size {size})")
    return index


def _tokens(pointer: str) -> List[str]:
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise _OpError(f"JSON Pointer {pointer!r} must start with '/'")
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]


def _pointer(tokens: Sequence[str]) -> str:
    return "".join("/" + t.replace("~", "~0").replace("/", "~1") for t in tokens)


def _json_equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return type(a) is type(b) and a == b


def _run(doc: _Doc, ops: List[Dict[str, Any]], aspect_name: str) -> None:
    parsed: List[Tuple[str, List[str]]] = []
    for index, op in enumerate(ops):
        name = op["op"].lower()
        try:
            tokens = _tokens(op["path"])
        except _OpError as exc:
            raise _failure(index, op, str(exc), aspect_name) from None
        parsed.append((name, tokens))
        doc.populate(tokens, len(tokens) if name == "remove" else len(tokens) - 1)
    for index, (op, (name, tokens)) in enumerate(zip(ops, parsed)):
        try:
            _apply_one(doc, name, tokens, op)
        except _OpError as exc:
            raise _failure(index, op, str(exc), aspect_name) from None


def _failure(index: int, op: Dict[str, Any], why: str, aspect_name: str) -> PatchError:
    return PatchError(f"op {index} ({op['op']} {op['path']}): {why}", aspect=aspect_name, path=op["path"])


def _apply_one(doc: _Doc, name: str, tokens: List[str], op: Dict[str, Any]) -> None:
    if name in ("add", "replace", "test") and "value" not in op:
        raise _OpError(f'a {name!r} operation needs a "value"')
    if name == "add":
        _add(doc, tokens, op["value"])
    elif name == "remove":
        _remove(doc, tokens)
    elif name == "replace":
        _remove(doc, tokens)
        _add(doc, tokens, op["value"])
    elif name == "test":
        actual = doc.get(tokens, "path not found")
        if not _json_equal(actual, op["value"]):
            raise _OpError(f"test failed: the value is {actual!r}, expected {op['value']!r}")
    else:
        source = op.get("from")
        if not isinstance(source, str):
            raise _OpError(f'a {name!r} operation needs a string "from"')
        src = _tokens(source)
        value = doc.get(src, f"from path {source} not found")
        if name == "copy":
            _add(doc, tokens, copy.deepcopy(value))
            return
        if src == tokens:
            return
        if len(src) < len(tokens) and tokens[: len(src)] == src:
            raise _OpError(f"cannot move {source} into its own child")
        _remove(doc, src)
        _add(doc, tokens, value)


def _add(doc: _Doc, tokens: List[str], value: Any) -> None:
    if not tokens:
        doc.root = doc.own(dict(value)) if isinstance(value, dict) else value
        return
    parent = doc.writable(tokens[:-1], "parent path not found")
    last = tokens[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        parent.insert(_index(last, len(parent), tokens, allow_end=True), value)
    else:
        raise _OpError(f"parent {_pointer(tokens[:-1])} is not an object or array")


def _remove(doc: _Doc, tokens: List[str]) -> None:
    if not tokens:
        raise _OpError("cannot remove the whole aspect")
    parent = doc.writable(tokens[:-1], "path not found")
    last = tokens[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise _OpError("path not found")
        del parent[last]
    elif isinstance(parent, list):
        del parent[_index(last, len(parent), tokens, allow_end=False)]
    else:
        raise _OpError(f"parent {_pointer(tokens[:-1])} is not an object or array")
