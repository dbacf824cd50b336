"""AML on viewer-to-creator gifts: requests, decisions, alerts and cases (issue 5)."""
