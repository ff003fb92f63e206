"""Datasets for the course: synthetic (known truth), bundled digits, Fashion-MNIST with offline fallback."""

from course_lib.data.digits import load_digits, load_digits_28
from course_lib.data.fashion_mnist import load_fashion_mnist
from course_lib.data.sequences import adding_problem, copy_memory_task, load_text
from course_lib.data.synthetic import (
    circles,
    ill_conditioned_quadratic,
    linear_regression,
    logistic_regression,
    moons,
    spirals,
)

__all__ = [
    "adding_problem",
    "circles",
    "copy_memory_task",
    "ill_conditioned_quadratic",
    "linear_regression",
    "load_digits",
    "load_digits_28",
    "load_fashion_mnist",
    "load_text",
    "logistic_regression",
    "moons",
    "spirals",
]
