"""``python -m litemeta``: the same CLI as the ``litemeta`` script."""

from litemeta.cli import entry

if __name__ == "__main__":
    entry()
