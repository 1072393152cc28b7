"""Geometry import, projection and simplification."""
