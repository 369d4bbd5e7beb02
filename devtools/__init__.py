"""Development tools, not shipped: benchmarks, the synthetic fleet, the workflow lint."""
