"""Grading: find the submissions (collect.py), decide per student what this run does (plan.py), run the reference
(reference.py) and the student's code (submission.py, pool.py: sandboxed workers), score each case (scoring.py).
Code homework is an Assignment (homework.py); the gradebook, the exports and the CLI are the phases above.
"""
