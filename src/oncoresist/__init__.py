"""oncoresist: how cancers become resistant to targeted drugs, offline.

A research tool, not a medical device: nothing it produces is for clinical decisions.
"""

from oncoresist._core.exceptions import (
    ConvergenceWarning,
    InputError,
    KnowledgeBaseError,
    OncoresistError,
    OncoresistWarning,
    ParseError,
)
from oncoresist._version import __version__

#: The statement every report carries.
RESEARCH_USE_STATEMENT = (
    "oncoresist is a research tool, not a medical device; its results are not for clinical decisions."
)

__all__ = [
    "RESEARCH_USE_STATEMENT",
    "ConvergenceWarning",
    "InputError",
    "KnowledgeBaseError",
    "OncoresistError",
    "OncoresistWarning",
    "ParseError",
    "__version__",
]
