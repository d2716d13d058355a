"""Feature flags. The public API is two functions:

    flags.is_enabled(name, user_id=None, *, request=None, **attributes) -> bool
    flags.evaluate(name, user_id=None, *, request=None, **attributes) -> EvaluationResult

Writes go through `flags.services`.
"""

from flags.client import evaluate, is_enabled

__all__ = ["evaluate", "is_enabled"]
