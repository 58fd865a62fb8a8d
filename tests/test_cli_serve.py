"""`micrograd serve`: the URL on stdout, the warning off loopback, --open, a clean Ctrl-C,
and one-line errors for bad options and missing drawing tools."""

import html
import os
import signal
import stat
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from signals import child_with_default_signals

from micrograd.cli import main
from micrograd.serve.server import ExplorerServer


def start(*args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return child_with_default_signals(  # SIGINT at its default even when this run inherited it ignored
        [sys.executable, "-m", "micrograd", "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_serve_prints_a_url_with_a_token_and_stops_cleanly(stop):
    process = start("--port", "0", "--dataset", "spiral", "--hidden", "8,8")
    try:
        line = process.stdout.readline()
        assert line.startswith("micrograd explorer: http://127.0.0.1:") and "/?token=" in line
        url = line.split(": ", 1)[1].strip()
        with urllib.request.urlopen(url, timeout=30) as response:
            assert response.status == 200 and b"micrograd explorer" in response.read()
        process.send_signal(stop)
        _, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 0
    assert "micrograd serve: stopped" in err and "Traceback" not in err


def test_a_non_loopback_host_gets_a_warning(monkeypatch, capsys):
    monkeypatch.setattr(ExplorerServer, "serve_forever", lambda self: (_ for _ in ()).throw(KeyboardInterrupt))
    assert main(["serve", "--host", "0.0.0.0"]) == 0
    out, err = capsys.readouterr()
    assert "warning: listening on 0.0.0.0" in err and out.startswith("micrograd explorer: http://127.0.0.1:")


def test_open_gives_the_browser_a_private_redirect_file_not_the_token(monkeypatch, capsys):
    opened = []

    def browser(uri):  # what the browser is given, and the file as it is while serving
        path = Path(urllib.request.url2pathname(urllib.parse.urlsplit(uri).path))
        opened.append(
            (
                uri,
                path,
                path.read_text(encoding="utf-8"),
                stat.S_IMODE(path.stat().st_mode),
                stat.S_IMODE(path.parent.stat().st_mode),
            )
        )

    monkeypatch.setattr("webbrowser.open", browser)
    monkeypatch.setattr(ExplorerServer, "serve_forever", lambda self: (_ for _ in ()).throw(KeyboardInterrupt))
    assert main(["serve", "--open"]) == 0
    out, _ = capsys.readouterr()
    url = out.strip().split(": ", 1)[1]
    ((uri, path, page, mode, folder_mode),) = opened
    assert uri.startswith("file://") and "token" not in uri
    assert mode == 0o600 and folder_mode == 0o700
    assert html.escape(url, quote=True) in page and 'http-equiv="refresh"' in page
    assert not path.exists() and not path.parent.exists()  # removed when the server stops


@pytest.mark.parametrize(
    "args, message",
    [
        (["--hidden", "100"], "every hidden layer size must be between 1 and 32, got 100"),
        (["--port", "70000"], "--port must be between 0 and 65535"),
        (["--dataset", "blobs", "--loss", "hinge"], "the hinge loss is for two classes"),
        (["--samples", "100000"], "samples must be between 2 and 500"),
    ],
)
def test_bad_options_are_one_line_errors(args, message, capsys):
    assert main(["serve", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_a_nan_learning_rate_is_an_argument_error(capsys):
    with pytest.raises(SystemExit) as exit:
        main(["serve", "--lr", "nan"])
    assert exit.value.code == 2
    err = capsys.readouterr().err
    assert "argument --lr: expected a positive number" in err and len(err.strip().splitlines()) == 1


def test_a_missing_graphviz_package_names_the_extra(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "graphviz", None)
    assert main(["serve"]) == 2
    assert "pip install 'micrograd-paths[serve]'" in capsys.readouterr().err


def test_a_missing_dot_says_how_to_install_graphviz(monkeypatch, capsys):
    monkeypatch.setattr("shutil.which", lambda name: None)
    assert main(["serve"]) == 2
    assert "apt-get install graphviz" in capsys.readouterr().err


def test_a_port_in_use_is_a_one_line_error(capsys):
    server = ExplorerServer()
    try:
        assert main(["serve", "--port", str(server.port)]) == 2
    finally:
        server.server_close()
    assert "Address already in use" in capsys.readouterr().err
