"""Test support for MLC processes: a pytest plugin, time travel, assertions and fakes."""
