"""Release: what `course release` generates from the sources (plan.py plans, compares and writes every file;
notebooks.py the student copies; colab.py the setup cells; design.py the design table; bundle.py the student
bundle), the solution notebooks' authoring rules (solution.py), the manually graded items they mark (manual.py),
and the leak check that keeps graded answers out of student material (leaks.py)."""
