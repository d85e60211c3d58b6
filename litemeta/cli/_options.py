"""Options shared by commands that take an entity urn: a positional ``URN`` and ``--urn``, as
``datahub get URN`` and ``datahub get --urn URN`` both work."""

from __future__ import annotations

from typing import Any, Callable, List, Optional, Sequence, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def urn_argument(help: str = "The entity urn (or give it as the argument).") -> Callable[[F], F]:
    """A positional ``URN`` (parameter ``urn_arg``) and ``--urn URN`` (parameter ``urn``); read the
    pair with :func:`pick_urn`."""

    def decorate(f: F) -> F:
        f = click.option("--urn", default=None, metavar="URN", help=help)(f)
        return click.argument("urn_arg", required=False, metavar="URN")(f)  # type: ignore[return-value]

    return decorate


def pick_urn(urn_arg: Optional[str], urn: Optional[str]) -> str:
    """The urn given as the argument or with ``--urn`` (a usage error when neither, or two different)."""
    if urn_arg and urn and urn_arg != urn:
        raise click.UsageError(f"two different urns given: {urn_arg!r} and --urn {urn!r}")
    target = urn or urn_arg
    if not target:
        raise click.UsageError("give a URN (argument or --urn)")
    return target


class PositionalUrnsGroup(click.Group):
    """A group that also runs as a command taking ``--urn`` (repeatable) and accepts the urns
    positionally: ``litemeta delete URN`` reads as ``litemeta delete --urn URN``, while a first word
    naming a subcommand (``delete undo-by-filter``) still selects it."""

    def parse_args(self, ctx: click.Context, args: List[str]) -> List[str]:
        return super().parse_args(ctx, as_urn_options(self, ctx, args))


class PositionalUrnsCommand(click.Command):
    """A command taking ``--urn`` (repeatable) that accepts the urns positionally too."""

    def parse_args(self, ctx: click.Context, args: List[str]) -> List[str]:
        return super().parse_args(ctx, as_urn_options(self, ctx, args))


def as_urn_options(cmd: click.Command, ctx: click.Context, args: Sequence[str]) -> List[str]:
    """``args`` with each bare word that is not an option's value (nor a subcommand name in first
    place) turned into ``--urn WORD``."""
    takes_value = {
        name
        for p in cmd.get_params(ctx)
        if isinstance(p, click.Option) and not p.is_flag and not p.count
        for name in p.opts + p.secondary_opts
    }
    subcommands = set(getattr(cmd, "commands", {}))
    out: List[str] = []
    expect_value = False
    for i, a in enumerate(args):
        if expect_value:
            out.append(a)
            expect_value = False
        elif a == "--":
            out += [x for u in args[i + 1 :] for x in ("--urn", u)]
            break
        elif a.startswith("-"):
            out.append(a)
            expect_value = a in takes_value  # "--urn=X" carries its value
        elif not out and a in subcommands:
            return list(args)
        else:
            out += ["--urn", a]
    return out
