"""Admin for organisation."""
