"""Lecture 04 (backpropagation and MLPs): concept checks. Plain answers: instructor side only."""
from autograder.quizzes.model import Choice, Expression, Number  # noqa: F401

QUESTIONS = [
    Choice("04.1", "b", options=("a", "b", "c", "d"),
           wrong={"a": "which side of 0 each ReLU is on depends on the input: one linear map cannot follow that",
                  "c": "relu(x) + relu(−x) = |x| has no bias and is not linear"},
           explanation="On each region of input space where the same ReLUs are active, the network is one affine map; "
                       "crossing a unit's kink (the line w·x + b = 0) switches that unit on or off and changes "
                       "the map. "
                       "So the network is piecewise linear with input-dependent pieces, which is why it can draw "
                       "the curved (polygonal) boundary around the circles. Biases do not matter for this: "
                       "relu(x) + relu(-x) = |x| has no biases and is not linear."),
    Choice("04.2", "d", options=("a", "b", "c", "d"),
           explanation="The two circles share their centre (the origin) and differ only in radius, and "
                       "x1² + x2² = r² is linear in (x1², x2²): logistic regression on those two features alone "
                       "separates them (test accuracy 1.0 on three samples). Both circles are symmetric under "
                       "x1 → −x1, which flips the sign of x1·x2, so that feature alone is near chance, as are x1, x2 "
                       "(both classes have mean ≈ 0)."),
    Number("04.3", -0.341, rtol=0.0, atol=0.001,
           wrong={-0.1705: "that is the cell's dlogits, averaged over its batch of two; take one example",
                  0.659: "that is the probability p_0; the gradient subtracts the one-hot target"},
           explanation="∂L/∂z_c = p_c − y_c. Here p_0 = e²/(e² + e¹ + e^0.1) = 0.659, so ∂L/∂z_0 = 0.659 − 1 = −0.341; "
                       "the other two components are p_1 = 0.242 and p_2 = 0.099. (`dlogits` in the cell is "
                       "averaged over "
                       "its batch of two, so it shows half of this, −0.1705.)"),
    Number("04.4", 0.0, rtol=0.0, atol=1e-9,
           explanation="L(z + c·1) = L(z) for every c, so the derivative of L along the direction (1, …, 1) is 0: "
                       "Σ_c ∂L/∂z_c = 0. Directly: Σ_c (p_c − y_c) = 1 − 1 = 0. `dlogits.sum(axis=1)` is 0 up to "
                       "rounding (about 1e-17)."),
    Number("04.5", 4547, rtol=0.0, atol=0.0,
           wrong={4416: "those are the weights only: every unit of the three layers also has a bias"},
           explanation="(2·64 + 64) + (64·64 + 64) + (64·3 + 3) = 192 + 4,160 + 195 = 4,547 parameters, "
                       "4,416 of them weights. The middle 64×64 layer holds most of them."),
]
