"""flopsheet.workbooks: model specs, template compiler, headless evaluator, reports, CLI."""
