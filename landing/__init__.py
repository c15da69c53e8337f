"""What is new in the landing folder (for the landing sensor): plain functions, no Dagster."""
