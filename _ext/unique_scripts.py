"""Sphinx extension: write each <script> of a page once.

Sphinx 7.4 registers an inline script that an extension adds after the builder started
(``app.add_js_file(None, body=...)``) a second time, as ``''`` instead of ``None``
(fixed upstream in Sphinx 8.2, sphinx-doc/sphinx#13402).  sphinx-thebe adds such a script,
``const THEBE_JS_URL = ...``, so every page declared the constant twice and the browser
reported a SyntaxError.  This drops the repeats.
"""

import os


def _drop_repeated_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not isinstance(scripts, list):
        return
    seen = set()
    unique = []
    for js in scripts:
        filename = getattr(js, "filename", js)
        attributes = getattr(js, "attributes", {})
        key = (os.fspath(filename or ""), getattr(js, "priority", 500),
               tuple(sorted(attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(js)
    scripts[:] = unique


def setup(app):
    app.connect("html-page-context", _drop_repeated_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
