"""Signed links, rate limits, the client address behind trusted proxies, CSV cells never run as formulas, and
the values a lookup may take to the database."""
