"""Forms of the complaint pages."""
