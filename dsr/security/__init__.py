"""Signed links, rate limits, the client address behind trusted proxies, and CSV cells never run as formulas."""
