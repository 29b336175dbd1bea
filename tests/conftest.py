"""Shared by every Python test folder: makes ``tests/`` importable (parley_process)."""
