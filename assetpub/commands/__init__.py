"""CLI commands, one module per area; cli.COMMANDS names the function of each command."""
