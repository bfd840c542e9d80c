"""Decisions: our own FEEL and DMN 1.1 to 1.5 engine, for Camunda-style decision tables.

```python
from modelop_mlc.dmn import parse_dmn

model = parse_dmn("model_comparator.dmn")
result = model.evaluate("model_test_comparator", {"auc": 0.72, "f1": 0.81})
result.rows       # [{"passes": False, "reason": "AUC under threshold", ...}, ...]
```

FEEL expressions are parsed and compiled to Python closures once, in `parse_dmn`, which
reports every unparsable cell at once as a `DiagramError`. Evaluation never raises for
bad data: as DMN specifies, a type error yields null and a warning in the result. An
evaluation that would build more, or loop longer, than `ExpressionLimits` allows is stopped
(`DecisionError`) before it allocates.
"""

from modelop_mlc.dmn._bounds import ExpressionLimits, limits_in_effect
from modelop_mlc.dmn._comparator import ModelTestEvaluation, evaluate_model_test
from modelop_mlc.dmn._drg import DmnModel, parse_dmn
from modelop_mlc.dmn._model import DecisionInfo
from modelop_mlc.dmn._results import DecisionResult, map_decision_result, to_json_value

__all__ = [
    "DecisionInfo",
    "DecisionResult",
    "DmnModel",
    "ExpressionLimits",
    "ModelTestEvaluation",
    "evaluate_model_test",
    "limits_in_effect",
    "map_decision_result",
    "parse_dmn",
    "to_json_value",
]
