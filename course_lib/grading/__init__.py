"""The student-side grading kernel: what runs beside student code, in the sandbox and in the self-check.

    model.py      Case, Exercise, Homework: an exercise is one object
    homework/     the public part of each homework (cases, drivers, property checks, tolerances)
    wire.py       plain-data encoding across the sandbox boundary (JSON + base64, never pickle)
    run.py        define the student's code, run an exercise's cases
    compare.py    float64 comparison -> Verdict
    judge.py      the one judge: a case -> Verdict with a kind
    public.py     the shipped expected outputs of the public cases
    selfcheck.py  check() / check_all() for students
    gradcheck.py  centred-difference gradients a student (and the self-check) runs on their own function
    quiz.py       concept checks: answer("07.2", ...) against salted hashes; literals read by the grader
    reference.py  swapped_globals: run a driver with reference pieces (a bug in one exercise costs only that one)

Nothing here imports a lecture module; the sandbox mounts this folder, not the lectures'.
"""
