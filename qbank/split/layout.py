"""Layout inference: which blocks are questions, judged by the document's own templates.

A real document sets its questions in one or two templates: every question an `h4`, a bold paragraph, an item
of a numbered list, a line of a plain list, a `Q:` label. Candidates (`qbank.split.candidates`) are grouped by
structural signature, and by *run* within it (the items of one list, the headings of one level under one parent,
the paragraphs of one section). Wording is evidence: a member whose wording reads as a question counts 1, one
set like a question (numbered heading, "Q3:" label, "[E]" tag, difficulty emoji) counts 1/2.

- A signature is a question *template* when its members' evidence is at least `TEMPLATE_SHARE` of them (and at
  least two pieces of evidence).
- In a template, a member not worded as a question is still one when its run, smoothed towards the signature's
  share, is a question run (`RUN_SHARE`), and it asks something or is terse ("Epoch vs. Batch vs. Iteration.").
  A long statement in a question list is prose; a whole run without evidence (the numbered list inside an
  answer) is answer text.
- A member worded as a question is one wherever it stands; the walker still keeps it in the answer it sits in
  when its signature is not a template ("Of predicted positives, how many are positive?" inside an answer).
- A list item whose nested items are questions is their *stem* (context, recorded as `parent`); it is a question
  itself only when it asks with a "?".
- A question-shaped heading directly followed by questions of another template titles them (a section title).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from qbank.clean import Cues
from qbank.records import Block
from qbank.settings import SplitSettings
from qbank.split.candidates import Candidate

TEMPLATE_SHARE = 0.5  # evidence per member for a signature to be a question template
RUN_SHARE = 0.6  # evidence per member of a run (smoothed) for its unworded members to be questions
LIST_RUN_SHARE = 0.45  # the same for the items of one list: a list of questions holds terse topics ("Docker vs VM.")
# half the time, a list inside an answer hardly ever asks anything
OFF_TEMPLATE = 0.6  # when this share of a run is set as questions ("Q3:"), an unworded member set otherwise is not
SMOOTHING = 2.0  # pseudo-members drawn from the signature's share: short runs lean on the whole document


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the layout says of one candidate."""

    question: bool
    template: bool = False  # its signature is one of the document's question templates
    by_layout: bool = False  # a question because of its group and run, not its own wording
    reason: str | None = None  # why not, when the layout rules it out ("stem", "prose", "section_title", ...)


@dataclass
class _Tally:
    members: int = 0
    evidence: float = 0.0
    worded: int = 0  # members whose wording alone reads as a question
    decorated: int = 0  # members set as questions (numbered heading, "Q3:" label, tag)

    def add(self, value: float, decorated: bool = False) -> None:
        self.members += 1
        self.evidence += value
        self.worded += value == 1.0  # (the sum of evidence counts "?" lines; worded is the same test)
        self.decorated += decorated

    @property
    def share(self) -> float:
        return self.evidence / self.members if self.members else 0.0


@dataclass
class Layout:
    """Verdicts by block index, and the stems whose nested items are questions."""

    verdicts: dict[int, Verdict] = field(default_factory=dict)
    stems: dict[int, str] = field(default_factory=dict)  # block index of a stem -> its text
    statements: dict[int, list[int]] = field(default_factory=dict)  # first paragraph -> the paragraphs it goes on in
    statement_body: dict[int, list[int]] = field(default_factory=dict)  # first paragraph -> examples, constraints
    parents: dict[int, int] = field(default_factory=dict)  # sub-question block index -> its stem's block index
    templates: frozenset[str] = frozenset()
    runs: list[int | None] = field(default_factory=list)  # run id per block index (None for non-candidates)

    def verdict(self, index: int) -> Verdict:
        return self.verdicts.get(index, _NONE)


_NONE = Verdict(False)


def evidence(c: Candidate) -> float:
    """What a member says of its group: 1 worded as a question (or closed by a "?" that is no sales line),
    1/2 set as a question (numbered heading, label, tag), else 0."""
    if c.excluded:
        return 0.0
    if c.shaped or (c.question.endswith("?") and c.asks and c.words >= 3):
        return 1.0
    return 0.5 if c.decorated else 0.0


def runs(blocks: Sequence[Block], candidates: Sequence[Candidate | None]) -> list[int | None]:
    """A run id per block (None for non-candidates): the items of one list, the headings of one level under one
    parent heading, the paragraphs of one signature in one section. A numbered list cut by section labels
    whose numbering goes on (1-8, 9-13, ...) is one run."""
    out: list[int | None] = [None] * len(blocks)
    open_runs: dict[str, int] = {}  # signature -> run id, for runs still open
    last_number: dict[int, int] = {}  # run id -> number of its last item
    closed: dict[str, int] = {}  # signature -> the run of that signature closed last
    next_id = 0
    for i, (block, cand) in enumerate(zip(blocks, candidates)):
        # what this block closes
        if block.kind == "heading":
            ended = [s for s in open_runs if not s.startswith("h") or int(s[1:]) > block.level]
        else:
            ended = [s for s in open_runs if s.startswith("li") and (
                _list_depth(s) > block.depth or (_list_depth(s) == block.depth and (
                    block.kind != "list_item" or (cand is not None and cand.signature != s))))]
        for sig in ended:
            closed[sig] = open_runs.pop(sig)
        if cand is None:
            continue
        run = open_runs.get(cand.signature)
        if run is None:
            previous = closed.get(cand.signature)
            if previous is not None and block.number is not None and block.number > 1 and \
                    last_number.get(previous) == block.number - 1:
                run = previous  # the numbering goes on: the same list, cut by a label
            else:
                run = next_id
                next_id += 1
            open_runs[cand.signature] = run
        if block.number is not None:
            last_number[run] = block.number
        out[i] = run
    return out


def _list_depth(sig: str) -> int:
    digits = "".join(ch for ch in sig[2:] if ch.isdigit())
    return int(digits or 0)


def infer_layout(blocks: Sequence[Block], candidates: Sequence[Candidate | None], cues: Cues,
                 settings: SplitSettings) -> Layout:
    """Judge every candidate of one document by its own wording, its signature group and its run."""
    run_of = runs(blocks, candidates)
    groups: dict[str, _Tally] = defaultdict(_Tally)
    run_tally: dict[int, _Tally] = defaultdict(_Tally)
    for cand, run in zip(candidates, run_of):
        if cand is None or cand.excluded == "empty":
            continue
        groups[cand.signature].add(evidence(cand), cand.decorated)
        run_tally[run].add(evidence(cand), cand.decorated)
    templates = frozenset(
        sig for sig, t in groups.items() if t.evidence >= 2 and t.share >= TEMPLATE_SHARE
    )

    def run_is_questions(run: int, sig: str) -> bool:
        t, prior = run_tally[run], groups[sig].share
        if not t.worded and t.members > 2:
            return False  # decorated titles ("💬 Communication Tips") with not one question among them
        share = LIST_RUN_SHARE if sig.startswith("li") else RUN_SHARE
        return (t.evidence + SMOOTHING * prior) / (t.members + SMOOTHING) >= share

    layout = Layout(templates=templates, runs=run_of)
    for i, (cand, run) in enumerate(zip(candidates, run_of)):
        if cand is None:
            continue
        # a template: the signature across the document, or this run on its own (a list of questions in a
        # document whose other lists of that shape are prose)
        question_run = run_is_questions(run, cand.signature) and (
            cand.signature in templates or run_tally[run].evidence >= 2
        )
        template = cand.signature in templates or question_run
        if cand.excluded:
            layout.verdicts[i] = Verdict(False, template, reason=cand.excluded)
        elif cand.shaped and not template and _outlier(run_tally[run], question_run, cand):
            layout.verdicts[i] = Verdict(False, reason="outlier")
        elif cand.shaped:
            layout.verdicts[i] = Verdict(True, template)
        elif question_run:
            if not cand.decorated and run_tally[run].decorated >= OFF_TEMPLATE * run_tally[run].members:
                layout.verdicts[i] = Verdict(False, True, reason="off_template")  # "Spring core" among "Question 3: ..."
            elif cand.asks or cand.terse:
                layout.verdicts[i] = Verdict(True, True, by_layout=True)
            else:
                layout.verdicts[i] = Verdict(False, True, reason="prose")
    _mark_stems(blocks, candidates, run_of, layout, run_is_questions)
    _mark_titles(blocks, candidates, layout)
    _mark_statements(blocks, candidates, layout, cues, settings)
    return layout


def _outlier(run: _Tally, question_run: bool, cand: Candidate) -> bool:
    """A worded member of a list that is not a list of questions: a tip phrased as an imperative among tips
    ("Define success metrics clearly"), a rhetorical question among remarks. Explicit "?" questions stand unless
    they are a small minority of their list."""
    if question_run or run.members < 4 or cand.block.kind != "list_item":
        return False
    share = run.worded / run.members
    return share < 0.25 or (share < 0.5 and not cand.question.rstrip().endswith("?"))


def _mark_stems(blocks, candidates, run_of, layout: Layout, run_is_questions) -> None:
    """A list item whose directly nested items are a run of questions gives them context: it is their stem.
    Items nested inside a question's own item are its answer's structure, never stems."""
    enclosing: dict[int, int] = {}  # depth -> index of the latest list item at that depth
    for i, block in enumerate(blocks):
        cand = candidates[i]
        if block.kind != "list_item":
            continue
        enclosing[block.depth] = i
        outer = enclosing.get(block.depth - 1) if block.depth else None
        if cand is None or cand.excluded or (outer is not None and layout.verdict(outer).question):
            continue
        if block.depth and cand.signature not in layout.templates:
            continue  # deep in a list of another kind: the structure of an answer
        children = _nested_items(blocks, i)
        if sum(layout.verdict(c).question for c in children) < 2:
            continue
        first = children[0]
        sub = candidates[first]
        if sub is None or not layout.verdict(first).question or not run_is_questions(run_of[first], sub.signature):
            continue
        layout.stems[i] = cand.question
        for child in children:
            if layout.verdict(child).question:
                layout.parents[child] = i
        if not cand.question.rstrip().endswith("?") and "?" not in cand.question:
            layout.verdicts[i] = Verdict(False, reason="stem")


def _nested_items(blocks: Sequence[Block], i: int) -> list[int]:
    """Indexes of the list items directly nested under the list item at `i` (depth + 1), until its list ends."""
    depth = blocks[i].depth
    out: list[int] = []
    for j in range(i + 1, len(blocks)):
        b = blocks[j]
        if b.kind == "heading" or b.depth <= depth:
            break
        if b.kind == "list_item" and b.depth == depth + 1:
            out.append(j)
        elif b.kind != "list_item" and b.depth == depth + 1 and not out:
            return []  # the item has text of its own before its sub-items: an answer, not a stem
    return out


def _mark_titles(blocks: Sequence[Block], candidates: Sequence[Candidate | None], layout: Layout) -> None:
    """A heading over questions of another template titles a section: a question-shaped heading outside the
    heading templates directly followed by one ("### What's a decorator?" over a list of decorator questions),
    or a heading taken only for its place in a heading template ("Quick questions" over a numbered list)."""
    for i, block in enumerate(blocks):
        verdict = layout.verdict(i)
        if block.kind != "heading" or not verdict.question or (verdict.template and not verdict.by_layout):
            continue
        section = []
        for j in range(i + 1, len(blocks)):
            if blocks[j].kind == "heading":
                break
            section.append(j)
            if not verdict.by_layout:
                break  # a worded heading: only the block right after it counts
        if any(candidates[j] is not None and layout.verdict(j).question and layout.verdict(j).template
               for j in section):
            layout.verdicts[i] = Verdict(False, reason="section_title")


def _mark_statements(blocks: Sequence[Block], candidates: Sequence[Candidate | None], layout: Layout, cues: Cues,
                     settings: SplitSettings) -> None:
    """Titled problems: a heading that is a title ("Rotate Matrix", "Decorator with arguments") over paragraphs
    that set a scene and ask ("Given an NxN matrix, write a method to rotate it. Can you do it in place?"),
    then code or nothing. The lead paragraphs are one question, whatever their length. A document sets its
    problems this way at one heading level, so two such sections at a level are needed; a heading that names
    the statement ("Description", "Problem Statement") is enough alone, and the rest of its section
    (examples, constraints) belongs to the question."""
    found: dict[int, list[tuple[int, list[int]]]] = defaultdict(list)  # heading level -> (heading, lead)
    for i, block in enumerate(blocks):
        if block.kind != "heading" or (layout.verdict(i).question and not layout.verdict(i).by_layout):
            continue  # (a heading taken only for its place in a template may still be a problem's title)
        lead = _lead_paragraphs(blocks, candidates, layout, i + 1)
        if not lead:
            continue
        rest = range(lead[-1] + 1, next((j for j in range(i + 1, len(blocks)) if blocks[j].kind == "heading"), len(blocks)))
        if any(layout.verdict(j).question for j in rest):
            continue  # a section of several questions (a question, its answer, the next question): not one problem
        texts = [candidates[j].question for j in lead]
        joined = " ".join(texts)
        if len(joined) > settings.max_statement_chars or not any(candidates[j].asks_outright for j in lead):
            continue
        found[block.level].append((i, lead))
    for level, sections in found.items():
        # sections that only open with a question of their own do not make a document of titled problems
        statements = sum(len(lead) > 1 or not layout.verdict(lead[0]).question for _, lead in sections)
        for heading, lead in sections:
            problem = bool(cues.problem_heading.search(candidates[heading].question)) if candidates[heading] else False
            if (len(sections) < 2 or not statements) and not problem:
                continue
            layout.verdicts[lead[0]] = Verdict(True, True, by_layout=True)
            layout.statements[lead[0]] = lead[1:]
            if layout.verdict(heading).question:
                layout.verdicts[heading] = Verdict(False, reason="section_title")  # "1. Two pointers: Container ..."
            if problem:
                body = []
                for j in range(lead[-1] + 1, len(blocks)):
                    if blocks[j].kind == "heading":
                        break
                    body.append(j)
                layout.statement_body[lead[0]] = body


def _lead_paragraphs(blocks: Sequence[Block], candidates: Sequence[Candidate | None], layout: Layout,
                     start: int) -> list[int]:
    """The paragraphs a section opens with, up to a label ("Example 1:"), another block kind, or a second
    question; empty when the section opens otherwise or with excluded text."""
    lead: list[int] = []
    for j in range(start, len(blocks)):
        cand = candidates[j]
        if blocks[j].kind != "paragraph" or blocks[j].depth != 0 or cand is None or cand.label:
            break
        if cand.excluded and cand.excluded not in ("too_long", "lead_in"):
            break
        if lead and layout.verdict(j).question:
            break  # a question of its own: the lead stops before it
        lead.append(j)
    return lead
