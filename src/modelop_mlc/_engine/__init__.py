"""The engine: the Camunda 7 dialect on SpiffWorkflow. The only package that imports SpiffWorkflow."""
