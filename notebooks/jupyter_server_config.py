"""Jupyter's configuration for `make notebooks`: a notebook is saved as notebooks/clean.py
would leave it (no widget state or widget outputs, no timing metadata, no carriage-return
progress), so that a notebook merely run and autosaved still passes `make lint`.

`make notebooks` passes it: ``jupyter lab notebooks/ --config=notebooks/jupyter_server_config.py``.
To have the same in a JupyterLab of your own, pass that option too.
"""

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location("micrograd_notebooks_clean", Path(__file__).with_name("clean.py"))
_clean = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_clean)

c = get_config()  # noqa: F821  (defined by Jupyter when it reads this file)
c.ContentsManager.pre_save_hook = _clean.pre_save_hook
