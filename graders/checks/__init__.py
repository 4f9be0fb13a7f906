"""Checks: one module per topic, each check one property, listed (never discovered)."""
