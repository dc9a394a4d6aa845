"""One module per ``chainrule`` subcommand, each exposing a click ``command``."""
