"""Catalog writes, one module per area."""
