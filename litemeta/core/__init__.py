"""The write path (validation, PATCH, version decisions, change events, the unit of work that is the only writer); may import ``errors``, ``config``, ``model`` and ``storage``."""
