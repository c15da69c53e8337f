"""The `nps` command line (contract section 1). Each command is thin: it resolves settings once (flags, then
environment, then defaults) and passes them to the part that does the work, imported lazily so `nps --help`
stays fast. Telemetry is off by configuration, not by environment: dbt in `dbt_project.yml` (and dagster-dbt
sets it for the dbt process), Dagster in the instance's `dagster.yaml`, Great Expectations in its context
config, Streamlit by its command-line flag."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from nps.settings import Settings
from nps.startup import libraries_loaded

app = typer.Typer(
    name="nps",
    help="NPS warehouse: survey, CRM and contact-centre exports to trusted NPS marts.",
    no_args_is_help=True,
    add_completion=False,
)

LandingOpt = Annotated[Path | None, typer.Option("--landing", help="Landing folder (NPS_LANDING_DIR).")]
WarehouseOpt = Annotated[Path | None, typer.Option("--warehouse", help="DuckDB warehouse file (NPS_WAREHOUSE_PATH).")]
SourcesOpt = Annotated[
    Path | None, typer.Option("--sources", help="sources.yml mapping the exports (NPS_SOURCES_FILE).")
]
AsOfOpt = Annotated[
    str | None, typer.Option("--as-of", help="ISO timestamp against which follow-ups are judged (NPS_AS_OF).")
]


def _settings(**flags: object) -> Settings:
    try:
        return Settings.from_env(**flags)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


def _check_inputs(settings: Settings) -> None:
    """Before anything runs: the landing folder exists and sources.yml (if any) is valid, else exit 2 saying why."""
    from ingestion.sources_file import SourcesFileError, load_sources_file

    if not settings.landing_dir.is_dir():
        typer.echo(
            f"error: the landing folder {settings.landing_dir} does not exist (--landing, NPS_LANDING_DIR)", err=True
        )
        raise typer.Exit(2)
    try:
        load_sources_file(settings.sources_file)
    except SourcesFileError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


@app.command()
def generate(
    out: Annotated[Path, typer.Option("--out", help="Landing folder to write into.")],
    scale: Annotated[str, typer.Option(help="tiny | small | medium | large")] = "small",
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same files.")] = 42,
    locale: Annotated[str, typer.Option(help="en | fr: the main export locale.")] = "en",
    clean: Annotated[bool, typer.Option("--clean", help="No planted messiness.")] = False,
    end_date: Annotated[
        str | None, typer.Option("--end-date", help="Last day of history (YYYY-MM-DD, default today).")
    ] = None,
) -> None:
    """Write synthetic survey, CRM and call exports in the landing layout."""
    from generator.sample_exports import generate_command

    code = generate_command(out, scale=scale, seed=seed, locale=locale, clean=clean, end_date=end_date)
    raise typer.Exit(code)


@app.command()
def run(
    landing: LandingOpt = None, warehouse: WarehouseOpt = None, as_of: AsOfOpt = None, sources: SourcesOpt = None
) -> None:
    """The full pipeline in process: ingest → dbt build → quality suites → publish."""
    settings = _settings(landing_dir=landing, warehouse_path=warehouse, as_of=as_of, sources_file=sources)
    _check_inputs(settings)
    from orchestration.dbt_warm import dbt_started_early  # standard library only

    with dbt_started_early():  # dbt imports in its own process meanwhile (orchestration/dbt_warm.py)
        with libraries_loaded():  # the collector off while Dagster, dbt and GE load (nps.startup)
            import orchestration.definitions  # noqa: F401  (what run_command runs)
            from orchestration.pipeline import run_command
        code = run_command(settings)
    raise typer.Exit(code)


@app.command()
def demo(landing: LandingOpt = None, warehouse: WarehouseOpt = None, as_of: AsOfOpt = None) -> None:
    """Generate sample exports if the landing folder is empty, run the pipeline, print a headline."""
    from orchestration.dbt_warm import dbt_started_early

    with dbt_started_early():
        with libraries_loaded():
            import orchestration.definitions  # noqa: F401  (what demo_command runs)
            from orchestration.pipeline import demo_command
        code = demo_command(_settings(landing_dir=landing, warehouse_path=warehouse, as_of=as_of))
    raise typer.Exit(code)


@app.command()
def inspect(
    path: Annotated[Path, typer.Argument(help="A landed file, a source folder or a landing folder.")],
    source: Annotated[
        str | None, typer.Option("--source", help="surveys | crm | calls (default: the folder the file is in).")
    ] = None,
    sources: SourcesOpt = None,
    rows: Annotated[int, typer.Option("--rows", help="Mapped rows to preview per file.")] = 5,
) -> None:
    """Dry run on one file or folder, writing nothing: profile, encoding, delimiter, date order, column mapping,
    preview, and every row or value that would be rejected. Exit 1 when a file cannot be read or mapped."""
    from ingestion.inspect import inspect_path, render_inspection
    from ingestion.sources_file import SourcesFileError

    settings = _settings()
    try:
        report = inspect_path(
            path, source, sources, source_tz=settings.source_tz, as_of=settings.as_of_or_now(), preview_rows=rows
        )
    except (SourcesFileError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    if not report.files:
        typer.echo(f"error: {path}: no landing file found there", err=True)
        raise typer.Exit(1)
    for found in report.files:
        typer.echo("\n".join(render_inspection(found)))
        if found.error:
            typer.echo(f"error: {found.source}/{found.relpath}: {found.error}", err=True)
    raise typer.Exit(0 if report.ok else 1)


@app.command()
def validate(warehouse: WarehouseOpt = None, as_of: AsOfOpt = None) -> None:
    """Run the data-quality suites; exit non-zero naming each failed blocking expectation."""
    from data_quality.runner import validate_command

    raise typer.Exit(validate_command(_settings(warehouse_path=warehouse, as_of=as_of)))


@app.command()
def loop(
    out: Annotated[Path | None, typer.Option("--out", help="CSV file for the CRM.")] = None,
    warehouse: WarehouseOpt = None,
) -> None:
    """Open and overdue detractor follow-ups (as the last run judged them), most overdue first; CSV for the CRM,
    formula-safe."""
    from loop.followups import loop_command

    raise typer.Exit(loop_command(_settings(warehouse_path=warehouse), out))


@app.command()
def dashboard(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 8501,
) -> None:
    """The starter dashboard on 127.0.0.1, reading the published copy only."""
    from dashboard.launch import dashboard_command

    raise typer.Exit(dashboard_command(_settings(), port=port))


def main() -> None:
    """The `nps` console script: `app`, then the process ends without Python's own teardown of the libraries a
    run imported (1.5–2 s; `nps.process_exit`)."""
    from nps.process_exit import run_then_exit

    run_then_exit(app)


if __name__ == "__main__":
    main()
