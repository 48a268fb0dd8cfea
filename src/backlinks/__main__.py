"""``python -m backlinks`` runs the CLI."""

from backlinks.cli import main

main()
