"""A model that prints noise that looks like protocol output and yields a non-JSON object."""

import sys


class Coefficients:
    def __init__(self, values):
        self.values = values


# modelop.metrics
def metrics(df):
    print('{"result": {"auc": 1.0}}')
    print("\x00\x01 binary garbage \ufffd", file=sys.stderr)
    sys.stdout.write("RESULT: " + "x" * 10_000 + "\n")
    yield {"rows": len(df), "model": Coefficients([1.0, 2.0])}
