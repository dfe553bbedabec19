"""kazcorpus.pipeline: the Beam graph, recipes, shards, manifest, audit tools and the CLI."""

__version__ = "0.1.0"
