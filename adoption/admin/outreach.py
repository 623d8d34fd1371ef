"""Admin for outreach."""
