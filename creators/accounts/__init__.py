"""Accounts: sign up with email verification, sign in and out, password reset, API tokens."""
