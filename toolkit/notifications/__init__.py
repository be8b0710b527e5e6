"""Notifications: an inbox in the app and, for those who want it, email."""
