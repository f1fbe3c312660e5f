"""Plain outputs: JSON, CSV, Markdown, terminal tables, and atomic writes."""
