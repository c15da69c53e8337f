"""Synthetic exports in the landing layout (`nps generate`, `nps demo`, tests, bench)."""
