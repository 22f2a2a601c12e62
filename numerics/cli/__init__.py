"""The `metacot` command line: entry point (main), shared helpers, and one module per subcommand group (commands/)."""
