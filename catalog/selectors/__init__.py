"""Catalog reads, one module per area."""
