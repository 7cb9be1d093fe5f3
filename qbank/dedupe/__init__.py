"""Near-duplicate clustering: `dedupe(new, existing, settings, curation) -> DedupeResult`.

verify.py decides a pair (rapidfuzz score plus subset and key-term guards), cluster.py places new
questions incrementally with a rare-word index, curation.py reads the human overrides.
"""

from qbank.dedupe.cluster import cluster_id_for, dedupe
from qbank.dedupe.curation import Curation, CurationError, load_curation
from qbank.dedupe.verify import Profile, Verdict, compare, profile

__all__ = [
    "Curation", "CurationError", "Profile", "Verdict", "cluster_id_for", "compare", "dedupe", "load_curation",
    "profile",
]
