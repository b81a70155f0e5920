"""Signed links, rate limits and the client address behind trusted proxies."""
