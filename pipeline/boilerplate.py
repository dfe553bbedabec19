"""Line-level boilerplate across documents of one host (placeholder: passes documents through)."""

from __future__ import annotations

import apache_beam as beam


class HostBoilerplate(beam.PTransform):
    def __init__(self, config):
        super().__init__()
        self.config = config

    def expand(self, docs):
        return docs | "PassThrough" >> beam.Map(lambda d: d)
