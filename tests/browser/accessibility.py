"""axe-core in the browser tests: injected into the page (node_modules/axe-core, installed by
`make install` from package.json), run, and its serious and critical violations returned."""

import json
from pathlib import Path

AXE = Path(__file__).resolve().parents[2] / "node_modules/axe-core/axe.min.js"
SERIOUS = ("serious", "critical")


def serious_violations(page):
    """[(rule id, impact, first offending selector)] of the page as it is now.

    The page is loaded in a context that bypasses the CSP (browser_context_args): the CSP
    forbids injected scripts, which is what it is for; the pages themselves run under it in
    every other browser test.
    """
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "() => axe.run(document, {resultTypes: ['violations']}).then(r => r.violations)"
    )
    return [
        (v["id"], v["impact"], json.dumps(v["nodes"][0]["target"]) if v["nodes"] else "")
        for v in result
        if v["impact"] in SERIOUS
    ]
