"""District PM: performance management for school districts."""
