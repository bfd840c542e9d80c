"""The `modelop_mlc` pytest plugin (registered through the `pytest11` entry point).

It must stay cheap to import: it loads in every pytest session where the package is installed.
"""
