"""Verbatim themes: the taxonomy (presets, the user's YAML), the inputs of the dbt matching, emerging topics."""
