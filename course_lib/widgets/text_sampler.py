"""Temperature-sampling text generator: a character model's next-character distribution, sharpened or
flattened by the temperature τ (p ∝ exp(z/τ)), and a sample of generated text.

    from course_lib.widgets.text_sampler import text_sampler_demo
    text_sampler_demo(model, vocab)        # model: course_lib.sequence.TorchCharSampler or BigramModel
"""

from __future__ import annotations

import numpy as np

from course_lib.sequence import BigramModel, Vocab, entropy_bits, sample_text, softmax_with_temperature


def sample_with_temperature(model, vocab: Vocab, temperature: float = 1.0, prime: str = "Alice ",
                            length: int = 200, seed: int = 0, top: int = 12) -> dict:
    """Pure compute: generated text, the next-character distribution after `prime` at this temperature,
    its entropy in bits, and the `top` most likely characters."""
    ids = vocab.encode(prime)
    if len(ids) == 0:
        ids = np.array([0])
    p = softmax_with_temperature(model.next_logits(list(ids)), temperature)
    order = np.argsort(-p)[:top]
    return {"text": sample_text(model, vocab, prime, length, temperature, seed), "probs": p,
            "entropy_bits": entropy_bits(p), "max_entropy_bits": float(np.log2(len(vocab))),
            "top_chars": [vocab.chars[i] for i in order], "top_probs": p[order], "temperature": temperature}


def draw_sampler(result: dict):
    import matplotlib.pyplot as plt

    print(result["text"])
    fig, ax = plt.subplots(figsize=(7, 2.2))
    labels = [repr(c)[1:-1] if c.strip() else {" ": "␣", "\n": "⏎"}.get(c, repr(c)) for c in result["top_chars"]]
    ax.bar(range(len(labels)), result["top_probs"], color="tab:blue")
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels)
    ax.set_ylim(0, 1)
    ax.set_ylabel("p(next char)")
    ax.set_title(f"τ = {result['temperature']:.2f}: entropy {result['entropy_bits']:.2f} bits "
                 f"(uniform: {result['max_entropy_bits']:.2f})", fontsize=9)
    fig.tight_layout()
    return fig


def text_sampler_demo(model=None, vocab: Vocab | None = None, text: str | None = None, prime: str = "Alice "):
    """Build the widget. Without a model, a bigram model of the bundled text is used (no torch needed).

    `prime` is the starting text shown in the "start with" box."""
    import ipywidgets as w

    from course_lib.widgets.base import Demo

    if model is None:
        if text is None:
            from course_lib.data import load_text

            text = load_text()
        model = BigramModel(text, vocab)
        vocab = model.vocab
    controls = {
        "temperature": w.FloatSlider(value=1.0, min=0.0, max=2.0, step=0.05, description="temperature",
                                     continuous_update=False),
        "length": w.IntSlider(value=200, min=20, max=600, step=20, description="length", continuous_update=False),
        "seed": w.IntSlider(value=0, min=0, max=20, description="seed", continuous_update=False),
        "prime": w.Text(value=prime, description="start with", continuous_update=False),
    }

    def compute(temperature, length, seed, prime):
        return sample_with_temperature(model, vocab, temperature, prime, length, seed)

    return Demo(compute=compute, draw=draw_sampler, controls=controls, height="380px")
