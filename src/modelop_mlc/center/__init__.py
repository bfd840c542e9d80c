"""The ModelOp domain: models, snapshots, jobs and the local runtime that runs model code."""
