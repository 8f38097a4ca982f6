"""pyeth: an Ethereum-style node in Python around its own EVM interpreter (the `evm` package)."""

__version__ = "0.1.0"
