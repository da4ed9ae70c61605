"""Exporters: pure functions from a project to manifest dicts and file texts."""
