"""The search relevance set (issue 14): a realistic corpus, queries derived from it, a recall test."""
