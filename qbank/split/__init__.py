"""Split stage: a StructuredDoc's blocks -> interview questions with their answers, and what was not kept.

Three steps, each a small module:

1. `candidates`: every block that could hold a question, read once into a typed `Candidate` (cleaned text, an
   answer or hint written on its own line, structural signature, wording evidence);
2. `layout`: the document's question templates, inferred from signature groups and runs; a verdict per
   candidate, with a reason when it is not a question;
3. `walk`: blocks in order -> questions with their answers, sections, follow-ups and parents.

Then repeats within the document are folded (a table of contents, a heading restated by its first item), and
schema.org Q/A pairs the page declares are merged in. Every non-empty block ends as a question, part of an
answer, or a `Rejected` with a snake_case reason: there is no fourth fate (`SplitResult.fates`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from qbank.clean import Cues, clean_question, is_placeholder_answer, load_cues, strip_markup
from qbank.records import Block, BlockFates, QAItem, Rejected, StructuredDoc
from qbank.settings import SplitSettings
from qbank.split.candidates import Candidate, notes_not_hints, read_candidate
from qbank.split.layout import Layout, infer_layout
from qbank.split.walk import Open, Walk
from qbank.split.wording import is_meta, is_question_shaped, match_key

__all__ = ["SplitResult", "is_question_shaped", "match_key", "split", "split_document"]


@dataclass(frozen=True, slots=True)
class SplitResult:
    items: tuple[QAItem, ...]
    rejected: tuple[Rejected, ...]
    fates: BlockFates

    def warning(self, settings: SplitSettings) -> str | None:
        """One line when the split looks wrong for this document: no question from a document full of
        question-shaped lines, or answers that swallowed many of them."""
        f = self.fates
        shaped = f.question_shaped_in_answers + f.question_shaped_rejected
        if not self.items and shaped >= settings.warn_shaped_lines:
            return (f"no questions found although {shaped} lines read as questions; "
                    "see the rejected table for this source and report the layout")
        absorbed = f.question_shaped_in_answers
        if absorbed >= settings.warn_shaped_lines and absorbed >= settings.warn_absorbed_share * len(self.items):
            return (f"{absorbed} question-shaped lines were kept inside answers of {len(self.items)} questions; "
                    "check that answers do not hold questions")
        return None


def split(doc: StructuredDoc, settings: SplitSettings) -> tuple[list[QAItem], list[Rejected]]:
    """Find the interview questions of `doc` with their answers; return them and the rejected blocks."""
    result = split_document(doc, settings)
    return list(result.items), list(result.rejected)


def split_document(doc: StructuredDoc, settings: SplitSettings, cues: Cues | None = None) -> SplitResult:
    cues = cues or (load_cues(settings.cues_file) if settings.cues_file else load_cues())
    candidates = notes_not_hints([read_candidate(b, cues, settings) for b in doc.blocks], cues)
    layout = infer_layout(doc.blocks, candidates, cues, settings)
    walk = Walk(doc, cues, settings, candidates, layout)
    for index, block in enumerate(doc.blocks):
        walk.block(index, block)
    walk.close()
    items, rejected = _fold_repeats(doc, walk, layout)
    items = _merge_structured(doc, items, cues)
    for block in doc.blocks:  # what no rule claimed: prose of the page, code or tables outside any answer
        if block.order not in walk.fates:
            reason = {"code": "code", "table": "table"}.get(block.kind, "prose")
            rejected.append(Rejected(doc.source_uri, block.text[:2000], reason, None, block.order))
            walk.fates[block.order] = "rejected"
    return SplitResult(tuple(items), tuple(rejected), _fates(doc.blocks, walk.fates, candidates))


def _fold_repeats(doc: StructuredDoc, walk: Walk, layout: Layout) -> tuple[list[QAItem], list[Rejected]]:
    """One item per question of the document. A second copy is dropped when it is a link (a table of contents)
    or set differently from the first (a heading restated by a list item); the same text twice in one list or
    under different stems is two questions ("How well would SVM work on this dataset?" for three figures)."""
    items: list[QAItem] = []
    kept: list[Open] = []
    by_key: dict[str, int] = {}
    plain_keys = {match_key(q.question) for q in walk.kept if not q.block.link}
    rejected = walk.rejected
    answers = [render_answer(item, walk.cues) for item in walk.kept]
    for n, item in enumerate(walk.kept):
        for earlier in range(max(0, n - item.shared), n if answers[n][0] else 0):
            if answers[earlier][0] is None:  # one answer after a list of questions answers each of them
                answers[earlier] = answers[n]
                walk.kept[earlier].answer_kind = "grouped"
    for item, (markdown, text) in zip(walk.kept, answers):
        key = match_key(item.question)
        if item.block.link and key in plain_keys:
            _drop(walk, item, "toc_link")
            continue
        first = by_key.get(key)
        if first is not None and not _distinct(kept[first], item):
            if items[first].answer_markdown is None and markdown is not None:
                items[first] = replace(items[first], answer_markdown=markdown, answer_text=text,
                                       answer_kind=item.answer_kind)
                _drop(walk, item, "duplicate_in_doc", answer_kept=True)
            else:
                _drop(walk, item, "duplicate_in_doc")
            continue
        by_key.setdefault(key, len(items))
        kept.append(item)
        items.append(
            QAItem(
                source_uri=doc.source_uri, position=len(items), question=item.question,
                question_raw=item.question_raw, answer_markdown=markdown, answer_text=text,
                section=item.section, section_path=item.section_path, follow_ups=tuple(item.follow_ups),
                rule=item.rule, parent=item.parent, answer_kind=item.answer_kind if markdown else None,
            )
        )
    return items, rejected


def _distinct(first: Open, later: Open) -> bool:
    """Two items with the same text that are two questions: sub-questions of different stems, or siblings of
    one list or one template (a repeated question about different figures)."""
    if first.parent != later.parent:
        return True
    same_set = first.family == later.family and first.block.depth == later.block.depth and first.block.kind == later.block.kind
    return same_set and first.template and later.template and not first.block.link and not later.block.link


def _drop(walk: Walk, item: Open, reason: str, answer_kept: bool = False) -> None:
    walk.reject(item.question, reason, item.block)
    if not answer_kept:
        for block in item.answer:
            walk.reject(block.text, reason, block)


def _merge_structured(doc: StructuredDoc, items: list[QAItem], cues: Cues) -> list[QAItem]:
    """schema.org Q/A pairs the page declares: an answer for a visible question that has none, or a question of
    their own when the page does not show it (questions about the interview itself are left out)."""
    by_key = {match_key(i.question): n for n, i in enumerate(items)}
    for qa in doc.structured_qa:
        question = clean_question(qa.question, cues)
        key = match_key(question)
        if qa.text and key not in by_key:
            # a QAPage names its question ("1. Two Sum") and gives its body: the visible statement opens it
            body = match_key(qa.text)
            key = next((k for k in by_key if len(k) >= 40 and body.startswith(k[:200])), key)
        answer = qa.answer_markdown if qa.answer_markdown and not is_placeholder_answer(qa.answer_markdown, cues) else None
        if key in by_key:
            first = items[by_key[key]]
            if first.answer_markdown is None and answer:
                items[by_key[key]] = replace(first, answer_markdown=answer, answer_text=strip_markup(answer))
            continue
        if is_meta(question, cues) or cues.interview_faq.search(question):
            continue
        by_key[key] = len(items)
        items.append(QAItem(doc.source_uri, len(items), question, qa.question, answer,
                            strip_markup(answer) if answer else None, None, rule="schema_org"))
    return items


def render_answer(item: Open, cues: Cues) -> tuple[str | None, str | None]:
    """The answer as (markdown, plain text); (None, None) when there is none or it is a placeholder."""
    md_parts: list[str] = []
    text_parts: list[str] = []
    base = item.block.depth + 1 if item.family == "list" else 0
    if item.inline_md:
        md_parts.append(item.inline_md)
        text_parts.append(item.inline_text or strip_markup(item.inline_md))
    prev_kind = None
    for block in item.answer:
        indent = "  " * max(block.depth - base, 0)
        md = block.markdown or block.text
        md = "\n".join(indent + line if line else line for line in md.splitlines())
        text = ("- " if block.kind == "list_item" else "") + block.text
        sep = "\n" if prev_kind == "list_item" and block.kind == "list_item" else "\n\n"
        if md_parts:
            md_parts.append(sep)
            text_parts.append(sep)
        md_parts.append(md)
        text_parts.append(indent + text)
        prev_kind = block.kind
    if item.inline_md and item.answer:
        md_parts.insert(1, "\n\n")
        text_parts.insert(1, "\n\n")
    markdown = "".join(md_parts).strip()
    if not markdown or is_placeholder_answer(markdown, cues):
        return None, None
    return markdown, "".join(text_parts).strip()


def _fates(blocks: tuple[Block, ...], fates: dict[int, str], candidates: list[Candidate | None]) -> BlockFates:
    counts = {"question": 0, "answer": 0, "rejected": 0}
    shaped = {"answer": 0, "rejected": 0}
    for block, cand in zip(blocks, candidates):
        fate = fates[block.order]
        counts[fate] += 1
        if fate != "question" and cand is not None and cand.shaped and cand.excluded is None:
            shaped[fate] += 1
    return BlockFates(len(blocks), counts["question"], counts["answer"], counts["rejected"],
                      shaped["answer"], shaped["rejected"])
