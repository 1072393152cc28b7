"""data_access package."""
