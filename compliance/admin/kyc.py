"""Admin for this compliance area."""
