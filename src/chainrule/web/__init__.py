"""The chain-rule playground in the browser: ``chainrule serve``.

A FastAPI app (:func:`chainrule.web.app.create_app`) that serves two pages, made of plain
HTML, CSS and JavaScript shipped in the package (no CDN, no build step), over a JSON API:

* **Explain**: the graph of an expression of :mod:`chainrule.expr`, stepped through forward
  and backward one node at a time. The page reads the same Explanation JSON that
  ``chainrule explain --format json`` prints: no rule is implemented a second time in JavaScript.
* **Train**: a small network on a 2-d data set, trained in the server on the real engine and
  streamed to the page with server-sent events.

FastAPI and uvicorn are the optional ``web`` extra, imported only here; the core and the other
commands work without them::

    $ pip install 'chainrule[web]'
    $ chainrule serve --open
"""

from __future__ import annotations

MISSING_EXTRA = "the web playground needs FastAPI and uvicorn: pip install 'chainrule[web]'"


def require_web() -> None:
    """Check that FastAPI and uvicorn import, or raise an ImportError naming the extra."""
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as error:
        raise ImportError(MISSING_EXTRA) from error
