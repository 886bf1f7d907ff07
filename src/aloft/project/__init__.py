"""An existing project as aloft first meets it: which framework, which app object, which extra.

Detection reads the project's sources with `ast`; it never imports the user's code (importing runs
their module-level side effects and needs their dependencies installed).
"""

from __future__ import annotations

from aloft.project.detect import AppCandidate, Detection, detect
from aloft.project.init import InitPlan, plan_init, runtime_requirement, write_plan

__all__ = [
    "AppCandidate",
    "Detection",
    "InitPlan",
    "detect",
    "plan_init",
    "runtime_requirement",
    "write_plan",
]
