# Metadata lives in setup.cfg; this shim exists for Beam's `--setup_file`, which cluster runners
# (Dataflow) use to install kazcorpus on their workers.
from setuptools import setup

setup()
