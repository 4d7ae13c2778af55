"""The command line. Shares core/ and ml/ with the GUI; each command lives in desktop_app/commands/.

Exit codes: 0 success, 1 failure, 2 bad usage, 141 when stdout's reader went away (`| head`).
A user's mistake prints one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import importlib
import os
import sqlite3
import sys
from pathlib import Path

from desktop_app import __version__
from desktop_app.commands import COMMANDS
from desktop_app.core.errors import Cancelled, StudioError
from desktop_app.core.write_errors import explain


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hotdog-studio",
        description="Build a hot dog / not hot dog classifier. Without a command, opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(module_name)
        command_parser = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(command_parser)
        command_parser.set_defaults(_run=module.run)
    return parser


def is_command(argv: list[str]) -> bool:
    return bool(argv) and (argv[0] in COMMANDS or argv[0] in ("-h", "--help", "--version"))


GLOBAL_OPTIONS = ("-h", "--help", "--version", "--install-desktop-entry")


def window_usage_error(argv: list[str]) -> str | None:
    """Why argv cannot be the window's `[DATASET]`, or None when it can.

    The window takes nothing or one folder. A bare word that is no folder here is a mistyped
    command (`trian`), never a dataset to create: a new dataset needs a path (`./name`, `~/name`).
    """
    if not argv:
        return None
    first, rest = argv[0], argv[1:]
    if first.startswith("-"):
        return f"unknown option {first!r}{_did_you_mean(first, GLOBAL_OPTIONS)}"
    if not _is_path_like(first):
        commands = " (commands: " + ", ".join(COMMANDS) + ")"
        return f"unknown command {first!r}{_did_you_mean(first, COMMANDS, commands)}"
    if rest:
        return f"the window opens one DATASET folder; unexpected {rest[0]!r} after {first!r}"
    return None


def _is_path_like(word: str) -> bool:
    separators = {"/", os.sep}
    return Path(word).expanduser().is_dir() or any(s in word for s in separators) or word[0] in "~."


def _did_you_mean(word: str, choices, otherwise: str = " (see hotdog-studio --help)") -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else otherwise


def run_command(argv: list[str]) -> int:
    try:
        code = _dispatch(argv)
        sys.stdout.flush()  # output still buffered meets a reader gone here, not at exit
        return code
    except BrokenPipeError:  # every command, and --help, piped into `head`
        return _reader_gone()


def _dispatch(argv: list[str]) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse: 0 for --help, 2 for bad usage
        return int(exit_.code or 0)
    if not getattr(args, "_run", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args._run(args) or 0)
    except Cancelled:
        print("Cancelled.", file=sys.stderr)
        return 1
    except StudioError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except (OSError, sqlite3.OperationalError) as error:
        message = explain(error)  # a full disk or a read-only folder: one line, not a traceback
        if message is None:
            raise
        print(f"error: {message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130


# What a shell reports for a Unix tool that SIGPIPE stopped (128 + 13).
BROKEN_PIPE_EXIT = 141


def _reader_gone() -> int:
    """The reader of stdout went away (`... | head -2`): stop quietly, as Unix tools do."""
    # Python flushes stdout once more at exit and would report the same error: aim it at nothing.
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    return BROKEN_PIPE_EXIT
