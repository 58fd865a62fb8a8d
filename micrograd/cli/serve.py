"""`micrograd serve`: the live training explorer in the browser, on 127.0.0.1.

    micrograd serve                      # prints http://127.0.0.1:PORT/?token=... ; --open opens it
    micrograd serve --port 8765 --dataset spiral --hidden 8,8 --activation tanh

The options choose what a new browser tab starts with; the page changes all of them.
Ctrl-C stops the server.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import os
import shutil
import signal
import sys
import tempfile
import webbrowser
from pathlib import Path

from micrograd.cli import UsageError
from micrograd.cli.train import _hidden, _positive_int, _rate
from micrograd.data import DATASETS
from micrograd.nn import ACTIVATIONS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from micrograd.serve.session import DEFAULT_LR, LOSSES, OPTIMIZERS, Settings

    default = Settings()
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine only)"
    )
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default: 0, a free port)")
    parser.add_argument("--open", action="store_true", help="open the page in a web browser")
    parser.add_argument("--dataset", choices=DATASETS, default=default.dataset, help="toy dataset (default: moons)")
    parser.add_argument(
        "--samples", type=_positive_int, default=default.samples, metavar="N", help="points (default: 100)"
    )
    parser.add_argument(
        "--hidden",
        type=_hidden,
        default=list(default.hidden),
        metavar="SIZES",
        help=f"hidden layer sizes (default: {','.join(map(str, default.hidden))})",
    )
    parser.add_argument(
        "--activation", choices=list(ACTIVATIONS), default=default.activation, help=f"default: {default.activation}"
    )
    parser.add_argument(
        "--loss", choices=list(LOSSES), default=None, help="default: hinge for 2 classes, else cross_entropy"
    )
    parser.add_argument("--optimizer", choices=OPTIMIZERS, default=default.optimizer, help="default: sgd")
    parser.add_argument(
        "--lr",
        type=_rate("lr"),
        default=None,
        metavar="LR",
        help=f"learning rate (default: {', '.join(f'{k} {v:g}' for k, v in DEFAULT_LR.items())})",
    )
    parser.add_argument(
        "--l2", type=_rate("l2"), default=default.l2, metavar="ALPHA", help="L2 penalty (default: 1e-4)"
    )
    parser.add_argument(
        "--seed", type=int, default=default.seed, help=f"seed for the data and weights (default: {default.seed})"
    )


def _settings(args: argparse.Namespace):
    from micrograd.serve.session import DEFAULT_LR, BadRequest, Settings, check_settings

    changes = {
        "dataset": args.dataset,
        "samples": args.samples,
        "hidden": args.hidden,
        "activation": args.activation,
        "optimizer": args.optimizer,
        "lr": args.lr if args.lr is not None else DEFAULT_LR[args.optimizer],
        "l2": args.l2,
        "seed": args.seed,
    }
    if args.loss:
        changes["loss"] = args.loss
    try:
        return check_settings(Settings(), changes)
    except BadRequest as error:
        raise UsageError(str(error)) from None


def _check_drawing_tools() -> None:
    """Drawings need the graphviz package and Graphviz's `dot`: say so before serving."""
    try:
        import graphviz  # noqa: F401
    except ImportError:
        raise UsageError("the explorer draws with graphviz: pip install 'micrograd-paths[serve]'") from None
    if shutil.which("dot") is None:
        raise UsageError(
            "the explorer needs Graphviz's dot program: sudo apt-get install graphviz (Debian/Ubuntu), "
            "brew install graphviz (macOS)"
        )


def _redirect_file(url: str) -> Path:
    """A page that sends the browser on to `url`, in a new private directory (0700), readable
    by its owner only (0600): what `--open` gives the browser, as Jupyter does, so that the
    token never appears on a command line (which other users of the machine can read)."""
    folder = Path(tempfile.mkdtemp(prefix="micrograd-serve-"))  # mkdtemp makes it 0700
    path = folder / "open.html"
    shown = html.escape(url, quote=True)
    page = (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f'<meta http-equiv="refresh" content="0;url={shown}"><title>micrograd explorer</title></head>\n'
        f'<body><p>Opening the explorer: <a href="{shown}">{shown}</a></p></body></html>\n'
    )
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(page)
    return path


def _remove_redirect(path: Path | None) -> None:
    if path is not None:
        path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):  # someone put another file there: leave it
            path.parent.rmdir()


def _stop(signum, frame) -> None:
    raise KeyboardInterrupt


def run(args: argparse.Namespace) -> int:
    from micrograd.serve.server import is_loopback, make_server

    _check_drawing_tools()
    settings = _settings(args)
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be between 0 and 65535, got {args.port}")
    server = make_server(args.host, args.port, settings)
    if not is_loopback(args.host):
        print(
            f"micrograd serve: warning: listening on {args.host}, which other machines may reach; "
            "anyone with the URL's token can use the explorer",
            file=sys.stderr,
        )
    print(f"micrograd explorer: {server.url}", flush=True)
    print("press Ctrl-C to stop", file=sys.stderr, flush=True)
    redirect = None
    previous = signal.signal(signal.SIGTERM, _stop)  # `kill` stops it as cleanly as Ctrl-C
    try:
        if args.open:
            redirect = _redirect_file(server.url)
            webbrowser.open(redirect.as_uri())  # the file's name on the command line, not the token
        server.serve_forever()
    except KeyboardInterrupt:
        print("micrograd serve: stopped", file=sys.stderr)
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.server_close()
        _remove_redirect(redirect)
    return 0
