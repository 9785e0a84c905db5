"""Developer feedback and the layered roadmap (metrics themselves are selectors, not copies)."""
