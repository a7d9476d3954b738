"""Subcommands of ``spmopt`` that live in their own module (registered in ``spmopt.cli``).

Each module exposes ``add_parser(commands)``: it adds one subparser to ``commands`` (an
``argparse`` sub-parsers action whose parser class is ``spmopt.cli._Parser``) and sets
``run=handler``; the handler takes the parsed ``argparse.Namespace`` and returns the exit status.
Heavy imports happen inside the handler, so that ``spmopt --help`` stays fast.
"""
