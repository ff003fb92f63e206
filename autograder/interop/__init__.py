"""Instructor interop: nbgrader and otter-grader exports, and a Gradescope autograder running our engine.

    course export nbgrader DIR [hwNN ...]     an nbgrader course directory (source/, nbgrader_config.py)
    course export otter DIR [hwNN ...]        Otter Assign master notebooks (DIR/hwNN/<name>.ipynb)
    course export gradescope hwNN ZIP         a Gradescope autograder zip that grades with `course grade`'s engine

Python: autograder.interop.nbgrader.export(hw, dir), autograder.interop.otter.export(hw, dir) and
autograder.interop.gradescope.export(hw, zip) return the paths they wrote; the `export` verb is cli/export.py.
"""

