"""`qbank ui`: serve the Bank, Cluster, Review and Overview pages on 127.0.0.1."""

from __future__ import annotations

import errno
import socket
from typing import Annotated

import typer

from qbank.cli import app
from qbank.cli.common import WarehouseOption, fail, load_settings
from qbank.cli.query import existing_warehouse
from qbank.errors import QbankError


@app.command()
def ui(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 to serve on.")] = 8765,
    warehouse: WarehouseOption = None,
) -> None:
    """Browse and curate the bank in a web browser: search and facets, every wording of a question and why it
    was merged, a review queue of uncertain pairs (decisions go to data/curation.yaml), charts.

    Example: qbank ui --port 8765   (then open http://127.0.0.1:8765/)
    """
    import uvicorn

    from qbank.ui.app import create_app, warm_up

    settings = load_settings(warehouse)
    wh = existing_warehouse(warehouse)
    try:
        wh.ensure_schema()  # an older file is migrated once, like every other command; the pages only read
    except QbankError as error:
        raise fail(str(error)) from None
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError as error:
        sock.close()
        why = "is in use; pick another with --port" if error.errno == errno.EADDRINUSE else f"cannot be used: {error}"
        raise fail(f"port {port} {why}") from None
    sock.listen(128)  # connections made right after the address is printed wait for the server
    app = create_app(settings)
    try:
        warm_up(app)
    except QbankError as error:
        sock.close()
        raise fail(str(error)) from None
    config = uvicorn.Config(app, log_level="warning", access_log=False)
    typer.echo(f"qbank ui: {wh.path} at http://127.0.0.1:{sock.getsockname()[1]}/  (Ctrl-C to stop)")
    uvicorn.Server(config).run(sockets=[sock])
