"""``python -m peercircle`` is the ``peercircle`` command (for when the script is not on PATH)."""

from peercircle.cli import main

main()
