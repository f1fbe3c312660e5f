"""Everything that writes or reads .xlsx: templates, the report workbook, the sweep workbook, read-back, recalculation."""
