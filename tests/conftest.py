"""Shared test settings.

Property tests explore random examples while developing; under CI (CI=true) they replay a
fixed, derandomized sequence so that a run is reproducible.
"""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
