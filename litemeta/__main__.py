"""``python -m litemeta``: the same CLI as the ``litemeta`` script."""
from litemeta.cli import main

if __name__ == "__main__":
    main(prog_name="litemeta")
