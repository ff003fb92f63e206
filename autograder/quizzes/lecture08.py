"""Lecture 08 (recurrent networks and LSTMs): concept checks. Plain answers: instructor side only."""
from autograder.quizzes.model import Choice, Expression, Number  # noqa: F401

QUESTIONS = [
    Choice("08.1", "a", options=("a", "b", "c", "d"),
           explanation="The backward walk needs every step's hidden state (for an LSTM also its gates and cell state), "
                       "so BPTT stores O(T·N·H) numbers, linear in T; the weights are shared, but the activations are "
                       "not. Truncated BPTT carries the hidden state from one window of k steps to the next but "
                       "back-propagates only inside the window: memory O(k), but no gradient flows further back "
                       "than the window's start, so dependencies longer than the window cannot be learned from "
                       "the gradient (the forward pass still sees them through the carried state)."),
    Choice("08.2", "d", options=("a", "b", "c", "d"),
           explanation="Each step multiplies by diag(1 − h_s²)·W_hh. With random inputs many units are saturated "
                       "(|h| close to 1), where tanh' = 1 − h² is close to 0, and these factors pull the "
                       "product far below "
                       "the linear regime's √H·1.5^(T−t), although W_hh = 1.5·Q stretches every vector by exactly 1.5 "
                       "(Q orthogonal). Nothing clips gradients unless you ask for it. A ReLU unit has "
                       "derivative exactly "
                       "1 wherever it is active: no such brake."),
    Expression("08.3", "4*H*(D+H) + 8*H", variables=("D", "H"),
               wrong={"4*H*(D+H) + 4*H": "torch keeps two bias vectors, b_ih and b_hh",
                      "4*H*(D+H)": "the biases are parameters too",
                      "3*H*(D+H) + 6*H": "that is a GRU (three gate blocks); an LSTM has four"},
               explanation="Four gate blocks (i, f, g, o), each with an H×D input matrix and an H×H recurrent matrix: "
                           "4H(D + H) weights, plus torch's two bias vectors b_ih and b_hh of length 4H each: 8H. "
                           "nn.LSTM(5, 7) has 4·7·12 + 56 = 392. A GRU has 3H(D + H) + 6H, a vanilla RNN H(D + "
                           "H) + 2H; "
                           "none depends on the sequence length T."),
    Number("08.4", 21.085536923187668, rtol=0.06, atol=0.0,
           wrong={1.0498: "the memory is 1/(1 − f), not 1/f",
                  2.0: "that is b_f = 0 (f = ½); here b_f = 3"},
           explanation="f = σ(3) = 0.9526, so 1/(1 − f) = 1 + e³ ≈ 21.1 steps (in general 1/(1 − σ(b)) = 1 + e^b); "
                       "with f rounded to 0.95 first, 1/0.05 = 20, also accepted (the tolerance is 6%). "
                       "With b_f = 0 it is 2 steps: the cell halves every step. Chrono initialization sets b_f = log u "
                       "to get a memory of about 1 + u steps."),
    Number("08.5", 66, rtol=0.0, atol=0.5,
           wrong={65: "check 0.9^k at your k: is it below 10⁻³ yet?"},
           explanation="0.9^k < 10⁻³ ⇔ k > ln(10⁻³)/ln(0.9) = 65.6, so k = 66 (0.9^65 = 1.06e-3, 0.9^66 = 9.6e-4). "
                       "With random inputs the saturating tanh makes the fall faster, which fits the plot of the "
                       "experiment: the small RNN is reliable only for short gaps."),
]
