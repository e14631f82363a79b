"""`python -m leadsync` runs the CLI."""

from leadsync.sync.cli import main

main()
