"""``python -m safecomment``: the same CLI as the ``safecomment`` command."""

from safecomment.cli import main

if __name__ == "__main__":
    main()
