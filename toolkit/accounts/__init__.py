"""Accounts: signing in and out, sign-in sessions, one-time links, the account page and the
user commands."""
