from secassist.cli.main import main

main()
