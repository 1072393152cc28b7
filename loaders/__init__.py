"""The write side: everything that brings data in from outside (KPI and lineage files,
boundaries, the live MQTT feed, saved decks), each through `loaders.apply`."""
