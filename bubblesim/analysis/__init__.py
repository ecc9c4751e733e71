"""What is computed from runs: estimates with their Monte Carlo error, the result of a run,
comparisons on common random numbers, and batches."""
