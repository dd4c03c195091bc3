"""Run the corridor model from the command line (the repository's entry point).

    python run.py                                  # the baseline, 2018Q1–2037Q4
    python run.py scenario=s2_land_exhaustion      # another scenario
    python run.py land.sz_supply=0 seed=7          # any parameter (see docs/parameters.md)
    python run.py -m scenario=baseline,s2_land_exhaustion 'seed=range(0,4)'   # a sweep
    python run.py --help                           # modes, scenarios, levers (app/cli_help.py)

Installed, ``corridor`` is the same command (``corridor --help``). The command itself is
:mod:`corridor_abm.app.main`; importing it first limits BLAS to one thread before numpy loads.
"""

from corridor_abm.app.main import cli

if __name__ == "__main__":
    cli()
