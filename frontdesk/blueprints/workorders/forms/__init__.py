"""Forms of the work-order pages, one module per feature."""
