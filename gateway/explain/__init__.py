"""Offline model of what Kong 3.9 does with a request, built from the spec: explain, lint, diff."""
