"""Lecture 06 (overfitting, regularization and dropout): concept checks. Plain answers: instructor side only."""
from autograder.quizzes.model import Choice, Expression, Number  # noqa: F401

QUESTIONS = [
    Choice("06.1", "a", options=("a", "b", "c"),
           explanation="More data lowers the variance of every model (for least squares it falls roughly like "
                       "σ²·(degree + 1)/n), while the bias of each degree stays the same, so richer models become "
                       "affordable and the minimum moves to the right. With course_lib.regularize.bias_variance "
                       "(300 trials) it moves from degree 3 at n = 20 to degree 5 at n = 200, and the curve "
                       "becomes much "
                       "flatter."),
    Choice("06.2", "b", options=("a", "b", "c", "d"),
           wrong={"a": "that is ridge's smooth shrinkage ρ/(z + λ); the kink of |w| at 0 changes the picture",
                  "c": "the soft threshold S_λ compares |ρ_j| with λ (here z_j = 1), not with λ/2"},
           explanation="The coordinate update is w_j = S_λ(ρ_j)/z_j with S_λ(ρ) = sign(ρ)·max(|ρ| − λ, 0): the whole "
                       "interval |ρ_j| ≤ λ = 0.5 maps to exactly 0. That is the kink of |w| at 0, the corner of the ℓ1 "
                       "ball on the axis. Ridge's update ρ_j/(z_j + λ) is a smooth shrinkage, 0 only when ρ_j = 0."),
    Number("06.3", 0.999 ** 1000, rtol=0.01, atol=0.0,
           wrong={0.0: "the factor 1 − ηλ multiplies the weight at every step: 1,000 steps multiply, they do not "
                       "subtract",
                  0.999: "that is one step's factor; it compounds over 1,000 steps"},
           explanation="θ ← θ − η(∇L + λθ) = (1 − ηλ)θ − η∇L: each step multiplies the weights by 1 − ηλ = 0.999, and "
                       "1,000 steps by 0.999^1000 ≈ 0.368 ≈ e^(−ηλ·1000) = e^(−1). With Adam the λθ term is divided by "
                       "√v̂ like the gradient, so there is no such fixed factor; AdamW applies it outside the adaptive "
                       "step."),
    Number("06.4", 1.25, rtol=0.0, atol=1e-6,
           wrong={0.8: "inverted dropout divides a kept unit by the keep probability 1 − p; it does not multiply",
                  5.0: "divide by the keep probability 1 − p, not by the drop probability p"},
           explanation="Inverted dropout keeps a unit with probability 1 − p and divides it by 1 − p: h' = m·h/0.8 = "
                       "1.25·h, so E[h'] = h and nothing changes at test time (nn.Dropout(0.2) in training mode "
                       "outputs "
                       "0 or 1.25 for an input of 1). The original convention trains with h' = m·h and multiplies the "
                       "outgoing weights by 1 − p = 0.8 at test time instead."),
    Choice("06.5", "d", options=("a", "b", "c", "d"),
           explanation="Each configuration's validation accuracy is its true accuracy plus noise from the 200 "
                       "particular "
                       "digits. Selecting the maximum of 27 noisy scores favours configurations that were lucky "
                       "on these "
                       "digits, and the luck does not carry over: on average the selected configuration's "
                       "validation accuracy "
                       "is above its accuracy on new data. The test set, used once after the choice, gives the "
                       "unbiased "
                       "estimate."),
]
