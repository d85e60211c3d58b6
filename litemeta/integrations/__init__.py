"""Bridges into DataHub's own Python tools (acryl-datahub, installed with ``litemeta[datahub]``): the only place litemeta imports ``datahub`` at run time."""
