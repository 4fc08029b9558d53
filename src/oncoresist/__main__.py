import sys

from oncoresist.cli import main

sys.exit(main())
