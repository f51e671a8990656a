"""`python -m assetpub ...`: the same as the `assetpub` command."""

from .cli import run

if __name__ == "__main__":
    run()
