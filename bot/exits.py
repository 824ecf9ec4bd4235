"""Exit codes of the `rapport` command line (README, "Command line")."""

EXIT_OK, EXIT_FOUND_NOTHING, EXIT_BAD_INPUT, EXIT_BUSY, EXIT_WARNINGS, EXIT_PIPE = 0, 1, 2, 3, 4, 141
