from micrograd.cli import main

raise SystemExit(main())
