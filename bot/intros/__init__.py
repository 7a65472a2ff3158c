"""Introductions: opt-in members paired at random, each pair in a private thread (issue 18)."""
