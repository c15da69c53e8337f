"""The published copy for BI: schema `marts` in a DuckDB 1.x-readable file and Parquet, swapped in atomically."""
