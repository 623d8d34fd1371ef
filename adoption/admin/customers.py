"""Admin for customers."""
