"""Lecture 05 (initialization and normalization): concept checks. Plain answers: instructor side only."""
from autograder.quizzes.model import Choice, Expression, Number  # noqa: F401

QUESTIONS = [
    Choice("05.1", "b", options=("a", "b", "c", "d"),
           explanation="The gradient of output row c is Σ_n (p_nc − y_nc)·h_n: it differs between classes through the "
                       "labels, so the output rows separate. Hidden unit j "
                       "receives Σ_c W2[c, j]·(p_c − y_c); each row of W2 stays constant across j (its updates are "
                       "multiples of h, whose entries are all equal), so every hidden unit gets the same "
                       "gradient and the "
                       "16 units stay identical forever: the labels break the output layer's symmetry, not the hidden "
                       "layer's."),
    Expression("05.2", "fan_out/fan_in", variables=("fan_in", "fan_out"),
               wrong={"1": "that is the forward factor (a sum over fan_in inputs); backwards the sum runs over the "
                           "fan_out units",
                      "2/fan_in": "that is He's weight variance; the question asks for the factor on the gradient's "
                                  "variance",
                      "2*fan_out/fan_in": "the ReLU's derivative is 0 for about half of the units"},
               explanation="Backwards, ∂L/∂x_i = relu'(x_i)·Σ_m w_im ∂L/∂x_m sums over fan_out terms and the ReLU "
                           "passes half of them: Var multiplies by ½·fan_out·Var[w] = ½·fan_out·2/fan_in = "
                           "fan_out/fan_in. Through layers 1…L, where each layer's fan_out is the next one's fan_in, "
                           "the product telescopes to fan_out_L/fan_in_1 (He et al. 2015, §2.2): forward or backward "
                           "scaling are both fine unless the first and last widths differ a lot. In our square nets "
                           "the ratio is 1."),
    Choice("05.3", "c", options=("a", "b", "c", "d"),
           explanation="Adam changes only the update: each parameter's step is its gradient divided by that gradient's "
                       "running RMS, which undoes the backward shrinking (as far as ε allows). The forward pass is the "
                       "same network: the activations still shrink by about 0.01·√(64/2) ≈ 0.057 per layer, "
                       "about 1e-25 "
                       "after 20 layers, so at the start the output hardly depends on the input and the rescaled steps "
                       "have little input-dependent signal to follow. A good initialization (or normalization) fixes "
                       "the forward pass; an optimizer cannot."),
    Number("05.4", 0.5, rtol=0.0, atol=1e-6,
           wrong={0.0: "x̂ is 0, but BatchNorm's output is γ·x̂ + β",
                  2.5: "on a batch of one the example is its own mean: x̂ = 0, not 1"},
           explanation="On one example the batch mean is the example itself and the batch variance is 0, so "
                       "x̂ = (x − x)/√(0 + ε) = 0 and the output is γ·0 + β = β = 0.5 whatever the input: the "
                       "network's output no longer depends on its input. That is why evaluation must use the running "
                       "statistics (model.eval()); torch's BatchNorm1d even refuses a batch of one in training mode "
                       "(\"Expected more than 1 value per channel when training\")."),
    Number("05.5", 25, rtol=0.0, atol=1e-6,
           wrong={24: "Var[h_0] = 1 is part of h_24 too",
                  5: "that is a standard deviation; the question asks for the variance"},
           explanation="Variances of uncorrelated terms add: Var[h_24] = Var[h_0] + 24·1 = 25. The variance grows "
                       "linearly with the number of blocks, not geometrically as a product of 24 Jacobians would, and "
                       "each block's BatchNorm rescales its own input, so every block still sees a normalized signal."),
]
