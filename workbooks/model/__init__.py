"""The model stage: spec records -> load/check -> evaluate (scalars or arrays) -> audit, sweep."""
