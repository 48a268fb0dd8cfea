"""Readers of the outside world (web archives, web graphs, crawls) into pages and links."""
