"""The contacts and stop-list importer: sources -> rows -> stages, run by runner."""
