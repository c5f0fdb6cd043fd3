"""The one exception type the planner raises for problems a user can fix.

Every message names what is wrong and, where the user can act, ends with a "To fix:" hint.
The CLI and the app show ``str(error)`` as it is, never a traceback.
"""

from __future__ import annotations


class PlannerInputError(ValueError):
    """Input the planner cannot use: a bad file, link, field value or CLI argument.

    >>> str(PlannerInputError("requests_per_day is -1", fix="enter 0 or more"))
    'requests_per_day is -1. To fix: enter 0 or more.'
    """

    def __init__(self, problem: str, *, fix: str | None = None) -> None:
        message = problem.rstrip(".")
        if fix:
            message += f". To fix: {fix.rstrip('.')}."
        else:
            message += "."
        super().__init__(message)
