"""CLI commands, one module per area; cli.COMMANDS names the function of each command.
_shared.py holds what they share (Setting, options, json_text, Progress, paused_gc);
build.py declares the build's options once (build_options, reused by deploy and watch)."""
