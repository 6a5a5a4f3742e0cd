import sys

from roboco_sql.cli import main

sys.exit(main())
