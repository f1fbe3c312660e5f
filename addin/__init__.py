"""flopsheet.addin: thin Excel-facing wrappers over flopsheet.formulas (xlwings)."""
