"""Lecture 01 (gradient descent): concept checks. Plain answers: instructor side only."""

from autograder.quizzes.model import Choice, Number

QUESTIONS = [
    Number("01.1", 100, rtol=0.05,
           wrong={10: "the floor falls like 1/√n, not like 1/n: how much must n grow for √n to grow tenfold?"},
           explanation="The floor ‖ŵ − w_true‖ shrinks like σ√(d/n): ten times lower needs n one hundred times "
                       "larger. (Measured on the lecture's data, 40 seeds, n = 50 → 5000: the root-mean-square "
                       "floor falls 10.5-fold; the exact factor for Gaussian designs is √((n₂−d−1)/(n₁−d−1)).) "
                       "Running GD longer does not help: it converges to ŵ, not to w_true."),
    Choice("01.2", "c", options=("a", "b", "c", "d"),
           explanation="With separable classes every step along the separating direction lowers the loss, so "
                       "the infimum 0 is approached but never attained: ‖βᵏ‖ grows without bound (about like "
                       "log k) while the loss tends to 0. GD still lowers the loss at every step; the direction "
                       "β/‖β‖ converges (to the max-margin separator, Soudry et al. 2018)."),
    Number("01.3", -0.9, rtol=0.0, atol=0.005,
           wrong={0.81: "that is the factor of the flat direction (λ = L/10); the zig-zag is the top one, λ = L"},
           explanation="On a quadratic the component along eigenvalue λ is multiplied by 1 − αλ per step. At "
                       "α = 1.9/L the top eigen-component (λ = L) gets 1 − 1.9 = −0.9: it flips sign every step "
                       "(the zig-zag across the valley) while shrinking by 10%. The flat direction (λ = L/10) "
                       "gets 1 − 0.19 = 0.81 and does not oscillate."),
    Choice("01.4", "a", options=("a", "b", "c", "d"),
           explanation="The exact step minimises φ(α) = f(xᵏ − α∇f(xᵏ)), so φ'(αₖ) = −∇f(xᵏ⁺¹)ᵀ∇f(xᵏ) = 0: "
                       "each new gradient is orthogonal to the previous one. Every step is at right angles to "
                       "the last, so in a long, thin valley the path zig-zags in small steps across the valley "
                       "instead of running along it."),
    Number("01.5", 0.5, rtol=0.12,
           wrong={0.25: "the floor is linear in α (∝ ασ²/B), not quadratic",
                  0.7071: "the floor is linear in α (∝ ασ²/B), not like √α"},
           explanation="In expectation the floor is proportional to ασ²/B, so halving α halves it (a simulation "
                       "of the lecture's problem gives about 0.45: the linear law is the small-α limit). The "
                       "price: each step moves half as far, so the floor is reached about twice as slowly."),
]
