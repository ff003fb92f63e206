"""Shared widget wiring: a fixed-height Output that redraws inline matplotlib without flicker.

Works on ipywidgets 7.7.1 (Colab) and 8.x. A demo is built as

    demo = Demo(compute=fn, draw=draw_fn, controls={"lr": FloatSlider(...)}, run_button=False)

`demo.result` always holds the last computed value, so headless tests set `.value` on a
control and assert on `demo.result`.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping


class Demo:
    """Controls + pure compute function + draw function, shown in an Output of fixed height."""

    def __init__(self, compute: Callable[..., Any], draw: Callable[[Any], Any] | None,
                 controls: Mapping[str, Any], run_button: bool = False, height: str = "420px",
                 description: str = "Run"):
        import ipywidgets as w

        self.compute = compute
        self.draw = draw
        self.controls = dict(controls)
        self.output = w.Output(layout=w.Layout(height=height, overflow="hidden"))
        self.result: Any = None
        self.renders = 0
        self.button = w.Button(description=description, button_style="primary") if run_button else None
        if self.button is not None:
            self.button.on_click(lambda _b: self.update())
        else:
            for c in self.controls.values():
                c.observe(lambda _change: self.update(), names="value")
        row = list(self.controls.values()) + ([self.button] if self.button is not None else [])
        self.widget = w.VBox([w.HBox(row[:3]), w.HBox(row[3:]), self.output])

    def values(self) -> dict:
        return {name: c.value for name, c in self.controls.items()}

    def update(self) -> Any:
        """Recompute from the current control values and redraw."""
        self.result = self.compute(**self.values())
        if self.draw is not None:
            import matplotlib.pyplot as plt

            with self.output:
                from IPython.display import clear_output

                clear_output(wait=True)
                fig = self.draw(self.result)
                if fig is not None:
                    from IPython.display import display

                    display(fig)
                    plt.close(fig)
        self.renders += 1
        return self.result

    def click(self) -> Any:
        """Press the Run button (or just update): handy in tests."""
        if self.button is not None:
            self.button.click()
            return self.result
        return self.update()

    def _ipython_display_(self):
        from IPython.display import display

        if self.result is None:
            self.update()
        display(self.widget)
