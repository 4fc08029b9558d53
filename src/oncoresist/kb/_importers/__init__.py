"""Importers of public knowledge bases (CIViC, the Cancer Genome Interpreter) into rules."""
