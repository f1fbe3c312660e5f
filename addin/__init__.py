"""flopsheet.addin: thin Excel-facing wrappers over flopsheet.formulas (xlwings).

- :mod:`.catalogue` — the one table of Excel functions (names, formulas, argument
  docs with default units, result units);
- :mod:`.cells`, :mod:`.wrappers` — host arguments in, cell values out, errors as
  ``#VALUE!``/``#NUM!``/``#N/A`` texts, assumption notes for the ``_NOTE`` companions;
- :mod:`.register` — decorates the catalogue with one host's xlwings decorators;
- :mod:`.udfs` (classic COM add-in), :mod:`.server` (xlwings Server / Office.js; needs an
  xlwings licence key to import), and the xlwings Lite bundle written by :mod:`.lite`;
- :mod:`.config`, :mod:`.cli` — ``flopsheet addin``.

Nothing here imports xlwings at package import time.
"""
