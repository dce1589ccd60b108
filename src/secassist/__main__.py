"""``python -m secassist``: the same command line as the ``secassist`` script."""

from secassist.cli.main import main

main()
