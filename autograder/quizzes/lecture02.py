"""Lecture 02 (momentum and adaptive methods): concept checks. Plain answers: instructor side only."""

from autograder.quizzes.model import Choice, Expression, Number

QUESTIONS = [
    Expression("02.1", "alpha*g/(1 - mu)", variables=("alpha", "g", "mu"),
               wrong={"alpha*g": "that is plain GD's step: the buffer keeps adding μ times its previous value",
                      "alpha*g*(1 - mu)": "the buffer grows, g + μg + μ²g + …: what does that series sum to?"},
               explanation="Buffer form: gₖ = g + μgₖ₋₁ tends to g/(1−μ), and the step is α times that. Velocity "
                           "form: V = μV − αg tends to −αg/(1−μ). Both reach αg/(1−μ): with μ = 0.9, ten times "
                           "plain GD's step αg."),
    Number("02.2", 3.8, rtol=0.01,
           wrong={2.0: "2/λ is plain gradient descent's limit; momentum (β = 0.9) moves it"},
           explanation="Heavy ball converges on a component iff 0 < αλ < 2 + 2β; with β = 0.9 and λ = 1 it "
                       "converges for every α below 3.8 and for none above: 3.8 is the supremum, almost twice "
                       "GD's limit 2/λ. At α = 3.8 itself it does not converge: the characteristic polynomial "
                       "σ² + 1.9σ + 0.9 = (σ + 1)(σ + 0.9) has a root at −1, so the component keeps its size "
                       "and flips sign every step."),
    Choice("02.3", "d", options=("a", "b", "c", "d"),
           explanation="Inside the complex region every component converges at √β, but the region shrinks as "
                       "β falls. With a smaller β the extreme eigenvalues leave it and get a real root larger "
                       "than √β, so the worst component gets slower. For κ = 100 the optimum is β ≈ 0.669, rate "
                       "9/11 ≈ 0.818; the best rate with β below 0.98 of that, over a grid of α, is about 0.864."),
    Number("02.4", 5.0, rtol=0.01,
           wrong={1.0: "with bias correction the first step is exactly α; the question leaves it out",
                  500.0: "the denominator is √v̂: v₁ enters through its square root"},
           explanation="With a constant gradient g, m₁ = (1−β₁)g and v₁ = (1−β₂)g², so the first step is "
                       "α(1−β₁)/√(1−β₂) = α·0.05/0.01 = 5α, five times the intended step α. Bias correction "
                       "divides by 1−β₁ and 1−β₂ and gives exactly α."),
    Choice("02.5", "a", options=("a", "b", "c", "d"),
           explanation="‖B‖_F² = Σσᵢ² ≥ σ_max², so every singular value of B/‖B‖_F is at most 1 (equal to 1 "
                       "only for a rank-one B). The Frobenius norm costs one pass over the entries; the spectral "
                       "norm itself would need an SVD or a power iteration."),
    Choice("02.6", "c", options=("a", "b", "c", "d"),
           explanation="Lecture 1: on a quadratic GD diverges for α > 2/L, L the largest Hessian eigenvalue "
                       "(the smoothness constant). For a network the Hessian has (number of parameters)² "
                       "entries and changes along the path, so L can only be estimated (e.g. by power iteration "
                       "with Hessian-vector products), and only locally."),
]
