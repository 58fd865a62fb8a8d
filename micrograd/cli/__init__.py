"""The `micrograd` command: `micrograd train ...`, `micrograd explain "EXPR" a=2 ...`, `micrograd serve`.

Each subcommand lives in its own module with `add_arguments(parser)` and `run(args)`.
Errors the user can fix (bad arguments, bad expressions, unreadable files, domain
errors) end the program with a one-line message and exit status 2, never a traceback.
`micrograd` alone prints the help (exit status 0: asking what there is is no mistake);
`micrograd --version` prints the version.
"""

from __future__ import annotations

import argparse
import os
import sys
from importlib import import_module

from micrograd import __version__

SUBCOMMANDS = {
    "train": ("micrograd.cli.train", "train a small network on a toy dataset or the digits"),
    "explain": ("micrograd.cli.explain", "evaluate an expression and show every path of its gradients"),
    "serve": ("micrograd.cli.serve", "the live training explorer in your browser"),
}


class UsageError(Exception):
    """A mistake in what the user asked for; reported as one line, exit status 2."""


class OneLineParser(argparse.ArgumentParser):
    """argparse, reporting a mistake in one line (argparse prints its usage text first)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="micrograd", description="A scalar autodiff engine that shows why backprop sums over paths."
    )
    parser.add_argument("--version", action="version", version=f"micrograd {__version__} (micrograd-paths)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, summary) in SUBCOMMANDS.items():
        sub = commands.add_parser(name, help=summary, description=summary)
        import_module(module).add_arguments(sub)
        sub.set_defaults(_module=module)
    return parser


def main(argv: list[str] | None = None) -> int:
    if sys.stdout is None:  # started with standard output closed (`>&-`): nothing could be shown
        if sys.stderr is not None:
            print("micrograd: error: standard output is closed, so there is nowhere to print", file=sys.stderr)
        return 2
    parser = build_parser()
    args, extras = parser.parse_known_args(argv)
    if args.command is None:
        if extras:
            parser.error(f"unrecognized arguments: {' '.join(extras)}")
        parser.print_help()  # `micrograd` alone: show what there is
        return 0
    if extras:  # the subcommand's mistake, so its name goes first
        hint = " (an expression that starts with '-' goes after --)" if args.command == "explain" else ""
        parser.exit(2, f"micrograd {args.command}: error: unrecognized arguments: {' '.join(extras)}{hint}\n")
    try:
        return import_module(args._module).run(args) or 0
    except BrokenPipeError:  # the reader went away (`| head`): stop quietly, as Unix tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except KeyboardInterrupt:
        print("micrograd: interrupted", file=sys.stderr)
        return 130
    except (UsageError, ValueError, TypeError, ArithmeticError, OSError) as error:
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        print(f"micrograd {args.command}: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
