"""Followers of the log (consumer groups, topic export, replay into Kafka, the search index); may import ``errors``, ``config``, ``model``, ``formats`` and ``storage``, never ``core``."""
