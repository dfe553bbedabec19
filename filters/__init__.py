"""kazcorpus.filters: per-document operators (language ID, PII, quality, toxicity). No Beam here."""
