"""``python -m archgym.cli ...`` runs the ``archgym`` command line."""

from archgym.cli import main

if __name__ == "__main__":
    main()
