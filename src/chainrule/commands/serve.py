"""``chainrule serve``: the chain-rule playground in the browser.

    $ chainrule serve                  # http://127.0.0.1:8000, this machine only
    $ chainrule serve --port 8080 --open

Needs the ``web`` extra (``pip install 'chainrule[web]'``). It binds to loopback by default:
binding to another address lets other machines run computations on this one, so it warns.
"""

from __future__ import annotations

import ipaddress
import threading
import webbrowser

import click

from chainrule.cli import one_line_command_class


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``.

    >>> is_loopback("127.0.0.1"), is_loopback("0.0.0.0"), is_loopback("localhost")
    (True, False, True)
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@click.command(
    cls=one_line_command_class(), context_settings={"help_option_names": ["-h", "--help"]}
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--open", "open_browser", is_flag=True, help="Open the page in a web browser.")
def command(host: str, port: int, open_browser: bool) -> None:
    """Serve the Explain and Train pages and their JSON API (schema at /openapi.json)."""
    try:
        from chainrule.web import require_web

        require_web()
        import uvicorn

        from chainrule.web.app import create_app
    except ImportError as error:
        raise click.ClickException(str(error)) from None
    if not is_loopback(host):
        click.echo(
            f"warning: listening on {host}, not loopback: other machines can reach this "
            "server and run computations on it",
            err=True,
        )
    url = f"http://{'localhost' if is_loopback(host) else host}:{port}/"
    click.echo(f"chainrule playground at {url} (Ctrl-C stops it)", err=True)
    if open_browser:
        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    uvicorn.run(create_app(), host=host, port=port, log_level="warning")
