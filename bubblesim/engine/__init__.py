"""What runs: random streams per block, shocks, the model's equations, the one-path reference
twin, per-path reductions, and the block runner. NumPy and SciPy only."""
