"""Geometry: schematic wards, projection and simplification."""
