"""Sphinx extension of the metacot book (loaded through ``sphinx.local_extensions`` in _config.yml).

* Pages listed in ``metacot_always_read`` are read (hence executed) on every build, even when their source
  did not change: the verification page and the claims index show the current registry, never a cached run.
* A small script opens a collapsed claim entry when a link points at it.
* MathJax is loaded on every page: pages whose math comes from executed cells (raw HTML of class
  "math", as on the verification page) have no math node that Sphinx would see.
"""
from __future__ import annotations

OPEN_TARGET_JS = """
(function () {
  function openTarget() {
    if (!location.hash) return;
    const el = document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (!el) return;
    const d = el.tagName === "DETAILS" ? el : el.querySelector("details") || el.closest("details");
    if (d) { d.open = true; el.scrollIntoView(); }
  }
  window.addEventListener("hashchange", openTarget);
  document.addEventListener("DOMContentLoaded", openTarget);
})();
"""


def _always_read(app, env, added, changed, removed):
    return [d for d in app.config.metacot_always_read if d in env.found_docs]


def setup(app):
    app.add_config_value("metacot_always_read", [], "env")
    app.connect("env-get-outdated", _always_read)
    app.add_js_file(None, body=OPEN_TARGET_JS)
    app.set_html_assets_policy("always")
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
