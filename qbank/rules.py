"""Where a run's rules come from: every rule a stage applies is data, found through the one Settings object.

    cues       split.cues_file, else data_dir/cues.yaml     splitter and cleaning wording   (split, clean)
    kinds      data_dir/kinds.yaml                           kind and level cues             (classify)
    filler     data_dir/filler.yaml                          match-key wording, aspect cues  (normalize, dedupe)
    pair_model dedupe.model_file, else data_dir/dedupe_model.json                            (dedupe)
    curation   data_dir/curation.yaml                        human overrides, read each run  (dedupe)
    taxonomy   data_dir/taxonomy.yaml                        topics                          (tag)

`RuleFiles.of(settings)` names the files. Each loader reads and compiles a file once per path and process;
the parse workers (qbank/sandbox.py) are processes of their own, so they get the paths (`ParseRules.load`
in the worker), and the run's single-process stages get the loaded rules (`qbank.dedupe.rules.DedupeRules`).
The stages take the rules as arguments; their optional defaults are the files shipped in data/, for callers
outside a run (tests, benches).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from qbank.classify import KindCues, load_kind_cues
from qbank.clean import Cues, load_cues

if TYPE_CHECKING:
    from qbank.settings import Settings


@dataclass(frozen=True, slots=True)
class RuleFiles:
    """The data files of a run's rules."""

    cues: Path
    kinds: Path
    filler: Path
    pair_model: Path
    curation: Path
    taxonomy: Path

    @classmethod
    def of(cls, settings: Settings) -> RuleFiles:
        data = Path(settings.data_dir)
        return cls(
            cues=settings.split.cues_file or data / "cues.yaml",
            kinds=data / "kinds.yaml",
            filler=data / "filler.yaml",
            pair_model=settings.dedupe.model_file or data / "dedupe_model.json",
            curation=data / "curation.yaml",
            taxonomy=data / "taxonomy.yaml",
        )


@dataclass(frozen=True, slots=True)
class ParseRules:
    """What the per-source stages read: the splitter's and cleaner's cues, the classifier's."""

    cues: Cues
    kinds: KindCues

    @classmethod
    def load(cls, files: RuleFiles) -> ParseRules:
        """Loaded once per path in each process (a parse worker loads them on its first document)."""
        return cls(load_cues(files.cues), load_kind_cues(files.kinds))
