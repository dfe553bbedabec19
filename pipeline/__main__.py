import sys

from kazcorpus.pipeline.cli import main

sys.exit(main())
