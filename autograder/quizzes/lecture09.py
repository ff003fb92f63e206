"""Lecture 09 (compute estimation): concept checks. Plain answers: instructor side only."""
from autograder.quizzes.model import Choice, Expression, Number  # noqa: F401

QUESTIONS = [
    Choice("09.1", "b", options=("a", "b", "c", "d"),
           wrong={"a": "a memory-bound layer waits for memory traffic, not for arithmetic: the peak is not its limit"},
           explanation="A memory-bound layer runs at bandwidth × arithmetic intensity, so it speeds up with the "
                       "bandwidth: 3,350/900 ≈ 3.7×, not with the peak. And the ridge point P/β moved right, from "
                       "125e12/900e9 ≈ 139 to 989e12/3.35e12 ≈ 295 FLOP/byte: more layers are memory-bound on the H100 "
                       "than on the V100."),
    Number("09.2", 2 * 64 * 64 * 9 * 56 * 56, rtol=0.01, atol=0.0,
           wrong={64 * 64 * 9 * 56 * 56: "those are multiply-adds; a multiply-add is 2 FLOPs",
                  2 * 64 * 64 * 9: "each weight is used at every output position, 56·56 of them"},
           explanation="2·C_out·C_in·k_h·k_w·H_out·W_out = 2·64·64·9·56·56 = 231,211,008 ≈ 2.3e8 FLOPs "
                       "(FlopCounterMode "
                       "agrees), against 2·4096·4096 = 33,554,432 for the dense layer: 6.9× more FLOPs with 455× fewer "
                       "parameters (36,864 against 16,777,216), because each conv weight is used at all 3,136 output "
                       "positions."),
    Expression("09.3", "8*N", variables=("N",),
               wrong={"6*N": "that is a step without recomputation: checkpointing runs the forward pass a second "
                             "time"},
               explanation="2N (forward) + 2N (the forward computed again) + 4N (backward) = 8N hardware FLOPs "
                           "per token "
                           "(FlopCounterMode on a checkpointed linear stack with torch.utils.checkpoint (reentrant) "
                           "counts exactly 8 per parameter per token). The model FLOPs stay 6N: MFU counts them, so "
                           "recomputation lowers MFU (the hardware FLOPs utilization, HFU, counts 8N). Torch's "
                           "non-reentrant checkpoint can stop the recomputation early, so it may cost less than 8N."),
    Number("09.4", (100_000 / 2.5 * 3600 * 989e12 * 0.4 / 120) ** 0.5, rtol=0.03, atol=0.0,
           wrong={(100_000 / 2.5 * 3600 * 989e12 * 0.4 / 6) ** 0.5: "C = 6ND with D = 20N: put D in terms of N",
                  (100_000 / 2.5 * 989e12 * 0.4 / 120) ** 0.5: "a GPU-hour is 3,600 seconds of FLOP/s",
                  (100_000 / 2.5 * 3600 * 989e12 / 120) ** 0.5: "the run achieves 40% of the peak (MFU)",
                  20 * (100_000 / 2.5 * 3600 * 989e12 * 0.4 / 120) ** 0.5: "that is D, the tokens; N counts the "
                                                                           "parameters"},
           explanation="$100,000 / $2.50 = 40,000 GPU-hours; × 3,600 s × 989e12 FLOP/s × 0.4 = 5.70e22 FLOPs. "
                       "With C = 6ND and D = 20N, C = 120N², so N = √(C/120) ≈ 2.18e10: about 22B parameters, "
                       "trained on D = 20N ≈ 436B tokens."),
    Number("09.5", 989e12 / 3.35e12, rtol=0.01, atol=0.0,
           explanation="The ridge point P/β = 989e12 / 3.35e12 ≈ 295 FLOP/byte. A BF16 layer that does fewer FLOPs per "
                       "byte moved is limited by memory bandwidth on an H100; batch-1 matrix-vector products (about 1 "
                       "FLOP per byte in BF16) are far below it."),
]
