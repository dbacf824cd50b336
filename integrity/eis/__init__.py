"""The Engagement Integrity Score: configuration, the set-based pass that measures signals in the
database, and the scoring that turns measured signals into components, bands and reasons."""
