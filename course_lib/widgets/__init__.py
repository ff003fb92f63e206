"""Interactive demos. Each demo is a pure function (parameters -> data/figure) wired to controls.

Submodules hold one demo each; `course_lib.widgets.base` has the shared wiring that works on
ipywidgets 7.7.1 (Colab) and 8.x (JupyterLab 4).
"""
