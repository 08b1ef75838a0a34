from salescore.cli import main

raise SystemExit(main())
