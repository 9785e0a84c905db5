"""Django admin of this area."""
