"""The polite crawler: fetching, robots, sitemaps, frontier, politeness."""
