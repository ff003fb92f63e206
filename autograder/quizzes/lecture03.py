"""Lecture 03 (automatic differentiation): concept checks. Plain answers: instructor side only."""

from autograder.quizzes.model import Choice, Expression, Number

QUESTIONS = [
    Choice("03.1", "d", options=("a", "b", "c", "d"),
           explanation="Zeroth-order search pays about d evaluations per gradient's worth of information, which "
                       "is hopeless for 10⁸ weights but fine for a handful of hyperparameters (learning rate, "
                       "width, dropout), where each evaluation is a whole training run and no gradient exists, "
                       "or for a black-box reward (a simulator, a human rating)."),
    Number("03.2", 4.92e-3, rtol=0.05,
           wrong={3.45e-4: "√ε balances a one-sided difference (error ∝ h); the centred one's error is ∝ h²",
                  6.06e-6: "that uses float64's ε; the question is about float32"},
           explanation="Truncation ≈ h²|f'''|/6 and round-off ≈ ε|f|/h balance at h ~ ε^{1/3}: for float32, "
                       "(1.19×10⁻⁷)^{1/3} ≈ 4.9×10⁻³. The error there is about ε^{2/3} ≈ 2.4×10⁻⁵ times the size "
                       "of f and f''': for sin(x)eˣ at x = 1 in float32 its median over steps within a factor 3 "
                       "of 4.9×10⁻³ is 2.6×10⁻⁵ (single steps can be far luckier, down to 10⁻⁷, when the "
                       "rounding errors happen to cancel). That is why gradient checks are done in float64."),
    Number("03.3", 1.32436, rtol=0.001,
           wrong={0.5: "that is one contribution only: a feeds two nodes, and its adjoint is the sum of both",
                  0.82436: "that is one contribution only: a feeds two nodes, and its adjoint is the sum of both"},
           explanation="a = xy = 0.5 feeds two nodes, so its adjoint is the sum 2a + eᵃ = 1 + e^{0.5}, and "
                       "∂f/∂x = (2a + eᵃ)·y ≈ 1.32436 (torch.autograd agrees). An engine that overwrites keeps "
                       "only the last contribution: 2a·y = 0.5 or eᵃ·y ≈ 0.824, depending on the order."),
    Choice("03.4", "a", options=("a", "b", "c", "d"),
           explanation="Forward mode gives one column of the 1000×3 Jacobian per pass (seed eᵢ): 3 passes. "
                       "Reverse mode gives one row per pass: 1000 passes. Reverse mode wins only when outputs "
                       "are few, as for a scalar loss."),
    Expression("03.5", "a*d + b*c", variables=("a", "b", "c", "d"),
               wrong={"a*c": "that is the real part; the question asks for the coefficient of ε",
                      "b*d": "b·d multiplies ε², which is 0"},
               explanation="(a + bε)(c + dε) = ac + (ad + bc)ε + bdε² and ε² = 0: the ε-part is ad + bc, the "
                           "product rule, so dual numbers carry the derivative of a product automatically."),
    Choice("03.6", "c", options=("a", "b", "c", "d"),
           explanation="Each local derivative needs some forward values: both inputs of a product (∂(uv)/∂u = "
                       "v), the output of tanh (1 − t²) and exp, the input of sin. These are kept from the "
                       "forward pass until the backward pass has used them, so memory grows with the length "
                       "of the forward computation; checkpointing stores fewer and recomputes the rest."),
]
