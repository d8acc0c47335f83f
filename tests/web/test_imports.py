"""The web process must start fast: importing the app must not load model libraries."""

import subprocess
import sys


def test_web_app_does_not_import_torch_or_sklearn():
    code = (
        "import sys, moderator.web.app, moderator.bootstrap; "
        "print(sorted(m for m in ('torch', 'detoxify', 'transformers', 'sklearn') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
