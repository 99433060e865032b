//! Shared helpers of the benches: the workload in `data/` (under construction).
