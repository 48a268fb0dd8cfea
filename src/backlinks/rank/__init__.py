"""Authority metrics over link graphs: PageRank, TrustRank, rating, harmonic centrality."""
