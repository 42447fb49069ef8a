"""``python -m omnirelay`` runs the CLI."""

from omnirelay.cli import main

if __name__ == "__main__":
    main()
