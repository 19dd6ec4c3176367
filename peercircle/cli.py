"""The ``peercircle`` command: the operator's commands first, then every Django management command.

``peercircle migrate`` is ``manage.py migrate``; the operator commands live in
``peercircle/ops/management/commands`` (and ``import`` in the people app). This module only maps
friendly names to command names and turns configuration mistakes into plain messages.

Exit codes: 0 done; 1 something failed; 2 bad input (an unknown command, a bad option or setting).
"""

from __future__ import annotations

import os
import sys

# Names that differ from the management command's; any other hyphenated name finds its
# command by itself ("new-encryption-key" runs new_encryption_key).
ALIASES = {
    "import": "import_people",
    "create-organisation": "create_organisation",
    "import-relationships": "import_relationships",
}

OVERVIEW = """\
PeerCircle: run peer support and peer mentoring schemes.

Usage: peercircle COMMAND [OPTIONS]

Commands for operators:
  start                 prepare the database, load the demo organisation once, then run the web
                        server and a background worker together (the quick start)
  serve                 run the web server (--host, --port, --threads)
  worker                run a background-task worker (run several on PostgreSQL)
  demo                  build a demo organisation (--people N, --seed S)
  import                import people from a CSV or XLSX file
  match SCHEME          run a one-to-one scheme's matching with a progress bar; the proposal
                        is stored for review in PeerCircle (--organisation SLUG)
  create-organisation   create an organisation and its first admin
  new-encryption-key    print a key for PEERCIRCLE_ENCRYPTION_KEYS (then rotate-keys)
  check --deploy        check the production settings

Every Django management command works too: peercircle migrate, peercircle createcachetable...
  peercircle help --commands   lists them all
  peercircle help COMMAND      explains one, e.g. peercircle help demo
"""


def _fail(message: str, code: int = 2) -> None:
    print(f"peercircle: {message}", file=sys.stderr)
    sys.exit(code)


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peercircle.settings")

    if not args or args[0] in {"-h", "--help"} or args == ["help"]:
        print(OVERVIEW, end="")
        return
    if args == ["new-encryption-key"]:
        # Before the settings: production refuses to start without a key, and this makes the first.
        from cryptography.fernet import Fernet

        print(Fernet.generate_key().decode())
        return
    from peercircle.lib.env import SettingsError

    try:
        import django

        django.setup()
    except SettingsError as exc:
        _fail(f"a setting is wrong: {exc} See docs/operations.md for every setting.")

    from django.core.management import execute_from_command_line, get_commands
    from django.db import DatabaseError

    at = 1 if args[0] == "help" and len(args) > 1 else 0
    name = args[at]
    if not name.startswith("-"):
        commands = get_commands()
        command = ALIASES.get(name, name)
        if command not in commands:
            command = command.replace("-", "_")
        if command not in commands:
            _fail(f"there is no command {name!r}. Run 'peercircle' to see the commands.")
        args[at] = command

    try:
        # Django names the program after argv[0] in its usage lines.
        execute_from_command_line(["peercircle", *args])
    except DatabaseError as exc:
        from django.conf import settings

        if settings.DEBUG:
            raise
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        _fail(
            f"the database could not be used: {first_line}. Check DATABASE_URL, that the "
            "database server is running, and that 'peercircle migrate' has been run.",
            code=1,
        )
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
