"""Harnesses that run Ethereum fixtures and contract bytecode against pyeth."""
