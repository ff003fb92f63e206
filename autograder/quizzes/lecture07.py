"""Lecture 07 (convolutional networks): concept checks. Plain answers: instructor side only."""
from autograder.quizzes.model import Choice, Expression, Number  # noqa: F401

QUESTIONS = [
    Choice("07.1", "c", options=("a", "b", "c", "d"),
           wrong={"a": "the ReLU acts on each position alone: a shifted input gives shifted ReLU outputs, not equal "
                       "ones"},
           explanation="Convolutions (with their ReLUs and biases) are equivariant: a shift of the input shifts the "
                       "feature maps. Pooling keeps the largest value of a window whatever pixel held it, so small "
                       "shifts change little, and stacked conv–pool stages tolerate larger ones (a global average over "
                       "all positions at the end removes the position altogether). Rotations and scalings are not "
                       "built in: weight sharing ties the weights only across translations, and a rotated edge is a "
                       "different pattern for the same kernel; such invariances must be learned, e.g. from "
                       "augmentation."),
    Number("07.2", -6, rtol=0.0, atol=1e-9,
           wrong={6: "that is the true convolution, with the kernel flipped; Conv2d cross-correlates (no flip)"},
           explanation="(1 + 1 + 1)·1 + (2 + 2 + 2)·0 + (3 + 3 + 3)·(−1) = 3 − 9 = −6: negative where "
                       "brightness grows to "
                       "the right. On a constant patch the kernel returns 0 because its entries sum to 0. The "
                       "mathematical convolution (flipped kernel) would give +6."),
    Number("07.3", 15, rtol=0.0, atol=0.0,
           wrong={14: "recount with n_out = ⌊(n + 2p − k)/s⌋ + 1: the padding is on both sides, and the first "
                      "position counts",
                  16: "the division rounds down (a window must fit), not up"},
           explanation="n_out = ⌊(n + 2p − k)/s⌋ + 1 = ⌊(32 + 2 − 5)/2⌋ + 1 = ⌊14.5⌋ + 1 = 15 "
                       "(torch's Conv2d(…, 5, stride=2, padding=1) gives 15×15). The last column of the padded input "
                       "(a padding column) is never covered: the floor drops it."),
    Number("07.4", 73856, rtol=0.0, atol=0.0,
           wrong={73728: "those are the weights only: each output channel has a bias too",
                  8320: "each filter has C·k·k weights, one per input channel and kernel position"},
           explanation="F·(C·k² + 1) = 128·(64·9 + 1) = 73,728 weights + 128 biases = 73,856, whatever the image size. "
                       "A dense layer between the same tensors would need (64·56·56)·(128·56·56) = 200,704·401,408 ≈ "
                       "8.06e10 weights plus 401,408 biases, over a million times more."),
    Number("07.5", 14, rtol=0.0, atol=0.0,
           wrong={10: "after the stride-2 pool, neighbouring units are 2 input pixels apart: the second kernel's "
                      "5 positions span more pixels",
                  9: "the pool widens the field too (and changes the spacing between units)"},
           explanation="Conv 5×5: 5 pixels; the 2×2 pool (stride 2) adds 1 → 6 and doubles the step between "
                       "neighbouring "
                       "units to 2 input pixels; the second 5×5 conv adds (5 − 1)·2 = 8 → 14. So a second-layer unit "
                       "sees a 14×14 patch (padding does not change the size; checked with autograd on LeNet's first "
                       "four layers)."),
]
