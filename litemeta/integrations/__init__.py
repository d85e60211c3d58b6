"""litemeta inside DataHub's own tools, and DataHub's tools inside litemeta (optional extras).

Every module that imports acryl-datahub (``litemeta[datahub]``) or the Actions framework
(``litemeta[actions]``) at run time lives in this package; the rest of litemeta never imports
them (tests/test_architecture.py). Each module imports its library when it is used, and says which
extra to install when it is missing.
"""
