"""How dbt nodes appear in Dagster: sources are the ingestion assets, groups follow the dbt folders."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dagster import AssetKey
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings


def ingestion_asset_key(source_name: str) -> AssetKey:
    """dbt source `<name>` (schema raw) is loaded by the ingestion asset `raw_<name>` (unless its meta names
    another asset: `meta: {dagster: {asset_key: [...]}}`)."""
    return AssetKey(f"raw_{source_name}")


class NpsDbtTranslator(DagsterDbtTranslator):
    def __init__(self) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            declared = (dbt_resource_props.get("meta") or {}).get("dagster", {}).get("asset_key")
            return AssetKey(declared) if declared else ingestion_asset_key(dbt_resource_props["source_name"])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        """`models/<layer>/...` → group `<layer>` (staging, intermediate, marts); seeds → staging."""
        if dbt_resource_props["resource_type"] == "seed":
            return "staging"
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else "dbt"
