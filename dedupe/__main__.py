"""``python -m dedupe``: the command line (also the script spark-submit is given,
see docs/large-corpora.md)."""

from .cli import main

if __name__ == "__main__":
    main(prog_name="dedupe")
