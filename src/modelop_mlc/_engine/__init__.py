"""The engine: the Camunda 7 dialect on SpiffWorkflow (the only package importing it)."""
