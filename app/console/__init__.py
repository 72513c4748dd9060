"""The operator console on the web (``python -m app console``; issue 13).

Server-rendered pages (Flask, Jinja2) over the read side of the ``jobs`` table and the worker's
own tables, with htmx (vendored, 0BSD) refreshing the live parts; no build step, no inline code.

* :mod:`~app.console.config`: its settings (credentials required).
* :mod:`~app.console.auth`: Basic/Bearer credentials in constant time.
* :mod:`~app.console.web`: the application: auth on every request, CSRF, security headers.
* :mod:`~app.console.views` (pages) and :mod:`~app.console.forms` (actions, POST).
* :mod:`~app.console.reader`, :mod:`~app.console.jobs_list`: what the pages read.
* :mod:`~app.console.actions`: requeue, cancel, bulk requeue, pause and resume.
* :mod:`~app.console.charts`: SVG geometry (fan chart, per-minute bars).
* :mod:`~app.console.server`: the process (waitress).
"""
