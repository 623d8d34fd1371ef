"""Admin for areas."""
