"""Bridges into DataHub's own tools (acryl-datahub with ``litemeta[datahub]``, the Actions framework with
``litemeta[actions]``), the only place litemeta imports ``datahub`` or ``datahub_actions`` at run time; may import
the store, views, workflow, model and serve, never the CLI.

Every module that imports acryl-datahub (``litemeta[datahub]``) or the Actions framework
(``litemeta[actions]``) at run time lives in this package: the plugins DataHub's registries find
(the ``datahub ingest`` sink, the checkpoint provider, the Actions event source), DataHub's steps in
litemeta recipes, ``push``, and DataHub's clients for tests (``testing.py``). The rest of litemeta
never imports those libraries (tests/test_architecture.py). Each module imports its library when it
is used, and says which extra to install when it is missing.
"""
