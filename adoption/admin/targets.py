"""Admin for targets."""
