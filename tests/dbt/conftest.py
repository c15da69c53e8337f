"""dbt tests share the session-scoped builds of tests/conftest.py."""
