"""The bridge: moves due rows from ``jobs`` into dramatiq-pg, keeps the window small, reaps."""
