"""The questions users ask of the index, each answered as a pandas DataFrame."""
