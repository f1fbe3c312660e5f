"""flopsheet.workbooks: model specs, the model (load, check, evaluate, audit, sweep, simulate), xlsx writers, plain outputs, reports and templates."""
