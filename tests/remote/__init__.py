"""Tests against a real Turso server (``tursodb --sync-server``); see conftest.py."""
