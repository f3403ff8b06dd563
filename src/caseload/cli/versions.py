"""The commands that show and drop the versions of read models a store holds: a new
version is built beside the one being served, and the old one dropped after the switch."""

from __future__ import annotations

import typer

from caseload.application.caseload import Caseload
from caseload.cli.app import (
    cli,
    emit_json,
    json_option,
    open_existing,
    out,
    store_option,
    user_errors,
)
from caseload.cli.render import say

__all__ = ["drop_read_model_version", "read_model_versions"]


@cli.command("read-model-versions", short_help="List the read-model versions a store holds.")
def read_model_versions(store: str = store_option(), as_json: bool = json_option()) -> None:
    """List the read-model states the store holds: name, version, log position, and
    whether this library serves that version.

    Reads only; works on a read-only store.
    """
    with user_errors(), Caseload.open_readonly(store) as app:
        projections = app.projections
        served = {name: model.version for name, model in projections.models.items()}
        rows = projections.stored_versions()
    if as_json:
        emit_json(
            {
                "versions": [
                    {
                        "name": row.name,
                        "version": row.version,
                        "position": row.position,
                        "served": served.get(row.name) == row.version,
                    }
                    for row in rows
                ]
            }
        )
        return
    if not rows:
        say(out, "No read-model states are stored.")
    for row in rows:
        mark = "served by this library" if served.get(row.name) == row.version else "other"
        say(out, f"{row.name}  version {row.version}  at position {row.position}  ({mark})")


@cli.command("drop-read-model-version", short_help="Drop an old version of a read model.")
def drop_read_model_version(
    name: str = typer.Argument(
        ..., metavar="NAME", help="The read model's name (see read-model-versions)."
    ),
    version: int = typer.Argument(..., min=1, metavar="VERSION", help="The version to drop."),
    store: str = store_option(),
    as_json: bool = json_option(),
) -> None:
    """Delete one stored version of a read model (its state and checkpoints), once every
    process serves another version.

    The version this library serves is refused (rebuild it instead), as is a version the
    store does not hold; both exit with code 2 and leave the store as it was.
    """
    with user_errors(), open_existing(store) as app:
        dropped = app.projections.drop_version(name, version)
    if as_json:
        emit_json({"dropped": {"name": dropped.name, "version": dropped.version}})
    else:
        say(
            out,
            f"Dropped version {dropped.version} of read model {dropped.name} "
            f"(it stood at log position {dropped.position}).",
        )
