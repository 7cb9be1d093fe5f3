"""clean_question strips document furniture from a question; is_placeholder_answer spots stub answers."""

from __future__ import annotations

import pytest

from qbank.clean import clean_question, is_placeholder_answer


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("1. **What is overfitting?**", "What is overfitting?"),
        ("12) What is a tensor?", "What is a tensor?"),
        ("Q3. How does dropout work?", "How does dropout work?"),
        ("Q: How does dropout work?", "How does dropout work?"),
        ("Question 7: Explain beam search", "Explain beam search"),
        ("- [ ] What is a residual connection?", "What is a residual connection?"),
        ("* _Why_ normalise inputs?", "Why normalise inputs?"),
        ("[What is RAG?](#what-is-rag)", "What is RAG?"),
        ("What is a KV cache? [src]", "What is a KV cache?"),
        ("What is a KV cache? [E] 🟢", "What is a KV cache?"),
        ("🔥 What is attention? 👩‍💻", "What is attention?"),
        ("What is a Bloom filter? ⭐️⭐️", "What is a Bloom filter?"),
        ("Design a rate limiter [Amazon]", "Design a rate limiter"),
        ("What is 𝐛𝐚𝐜𝐤𝐩𝐫𝐨𝐩𝐚𝐠𝐚𝐭𝐢𝐨𝐧?", "What is backpropagation?"),
        ("What\u200b is   a\u00a0GAN?", "What is a GAN?"),
        ("### 4. What is `torch.no_grad`?", "What is torch.no_grad?"),
        ("What are *args and **kwargs?", "What are *args and **kwargs?"),
        ("What is the difference between __str__ and __repr__?", "What is the difference between __str__ and __repr__?"),
        ("What is __bold words__ here?", "What is bold words here?"),
        ("How are arguments passed (by value or reference)?", "How are arguments passed (by value or reference)?"),
        ("How would you design an LRU cache? (Google, Meta)", "How would you design an LRU cache?"),
        ("What is a hash map? (Goldman Sachs / Jane Street)", "What is a hash map?"),
        ("What is feature scaling? (e.g. min-max)", "What is feature scaling? (e.g. min-max)"),  # lower case: content
    ],
)
def test_clean_question(raw: str, clean: str) -> None:
    assert clean_question(raw) == clean


@pytest.mark.parametrize(
    "answer",
    ["", "   ", "Answer here", "**TBD**", "Coming soon!", "_To be added_", "<details><summary>Answer</summary></details>",
     "```python\ndef solve(nums):\n    pass\n```", "```\n# your code here\n```", "...", "TODO"],
)
def test_placeholder_answers(answer: str) -> None:
    assert is_placeholder_answer(answer)


@pytest.mark.parametrize(
    "answer",
    ["Dropout zeroes random activations during training.", "```python\ndef add(a, b):\n    return a + b\n```",
     "| a | b |\n| --- | --- |\n| 1 | 2 |", "No."],
)
def test_real_answers_are_kept(answer: str) -> None:
    assert not is_placeholder_answer(answer)
