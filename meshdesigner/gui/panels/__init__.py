"""Dock panels: palette and outline, properties, diagnostics, YAML preview."""
