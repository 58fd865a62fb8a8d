"""`micrograd serve`: a live training explorer in the browser, driven by the engine.

The page shows the data over the model's decision regions, trains step by step or playing,
draws the network for a selected point and the computation graph of one example with its
backward pass, step by step. Everything it shows is computed here, in Python, by the
library; the page only draws. This package sits on top of the library (nothing in the
library imports it) and ships its page as package data (``assets/``).

>>> from micrograd.serve import make_server
>>> server = make_server(port=0)          # 127.0.0.1, a free port, a fresh token
>>> server.url.startswith("http://127.0.0.1:")
True
>>> server.server_close()
"""

from micrograd.serve.server import ExplorerServer, make_server
from micrograd.serve.session import LIMITS, BadRequest, Session, Settings

__all__ = ["LIMITS", "BadRequest", "ExplorerServer", "Session", "Settings", "make_server"]
