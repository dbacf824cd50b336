"""KYC submissions, identity documents, checks, reviews and phone trust (issue 5)."""
