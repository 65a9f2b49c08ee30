"""Report writers: JSON (the canonical record), CSV, ``.list`` files, HTML, terminal summary."""
