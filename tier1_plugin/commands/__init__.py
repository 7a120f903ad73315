"""One module per ``tier1`` subcommand: ``configure(parser)`` and ``run(args)``."""
