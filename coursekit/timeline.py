"""Record what concurrent code did, and draw it as one bar per lane.

Lecture demos record events on the event loop's clock::

    timeline = Timeline()
    timeline.start("save")
    ...
    timeline.stop("save", "done")
    timeline          # a chart in JupyterLab, text anywhere else

Each lane is a horizontal bar from its start to its stop, with its point
events (a cancellation, a timeout) marked on it.  The text form is what
nbclient, CI and terminals show; JupyterLab shows the HTML form.

Times count from when the work starts, not from when the timeline was made
(making a live chart, or waiting before the work, costs time that is no part
of it): from the first event recorded or the first ``now()``, whichever comes
first, or from ``begin()`` when the demo says where its work starts.
"""

from __future__ import annotations

import asyncio
import html
from dataclasses import dataclass, field


@dataclass
class Lane:
    name: str
    start: float | None = None
    stop: float | None = None
    outcome: str = ""
    marks: list[tuple[float, str]] = field(default_factory=list)


def _seconds(t: float) -> str:
    """Tenths at most: real-time demos drift by milliseconds that mean nothing."""
    return f"{t:.1f}".rstrip("0").rstrip(".") + " s"


def _notes(lane: Lane) -> str:
    """What happened on a lane, in words: "tick at 0, 0.2, 1.4 s; done at 2 s" (a run of one mark said once)."""
    notes: list[tuple[str, list[float]]] = []
    for t, what in lane.marks:
        if notes and notes[-1][0] == what:
            notes[-1][1].append(t)
        else:
            notes.append((what, [t]))
    if lane.stop is not None:
        notes.append((lane.outcome, [lane.stop]))
    return "; ".join(f"{what} at {', '.join(_seconds(t).removesuffix(' s') for t in times)} s" for what, times in notes)


# Notes up to this long stay on one line beside their bar; longer ones wrap rather than widen the chart.
ONE_LINE = 24


class Timeline:
    """Events of named lanes, in seconds since the work started (see ``now``)."""

    def __init__(self, live: bool = False) -> None:
        """``live=True`` shows the chart at once in the notebook and redraws it at every event."""
        self._origin: float | None = None  # set by begin(), or by the first event or now()
        self.lanes: dict[str, Lane] = {}
        self._view: _LiveView | None = None
        if live:
            self._view = _LiveView(self)

    @classmethod
    def from_spans(cls, spans: list[tuple[str, float, float | None, str]], live: bool = False) -> "Timeline":
        """A chart of recorded spans (name, start, stop or None while running, outcome), in seconds."""
        timeline = cls.__new__(cls)
        timeline._origin, timeline.lanes, timeline._view = 0.0, {}, None
        timeline.replace(spans)
        if live:
            timeline._view = _LiveView(timeline)
        return timeline

    def replace(self, spans: list[tuple[str, float, float | None, str]]) -> None:
        """Draw these spans instead of what the chart showed."""
        first = min((start for _, start, _, _ in spans), default=0.0)
        self.lanes = {
            name: Lane(name, round(start - first, 2), None if stop is None else round(stop - first, 2), outcome)
            for name, start, stop, outcome in spans
        }
        self._redraw()

    def begin(self) -> None:
        """Start the clock here: later times count from this moment on the loop's clock."""
        self._origin = asyncio.get_running_loop().time()

    def now(self) -> float:
        """Seconds since the work started: since ``begin()``, or else since the first event or ``now()``."""
        clock = asyncio.get_running_loop().time()
        if self._origin is None:
            self._origin = clock
        # Hundredths: exact in virtual time, and free of scheduling noise in real time.
        return round(clock - self._origin, 2)

    def _lane(self, name: str) -> Lane:
        return self.lanes.setdefault(name, Lane(name))

    def start(self, name: str) -> None:
        self._lane(name).start = self.now()
        self._redraw()

    def stop(self, name: str, outcome: str = "done") -> None:
        lane = self._lane(name)
        lane.stop, lane.outcome = self.now(), outcome
        self._redraw()

    def mark(self, name: str, what: str) -> None:
        self._lane(name).marks.append((self.now(), what))
        self._redraw()

    def _redraw(self) -> None:
        if self._view is not None:
            self._view.redraw()

    def _end(self) -> float:
        times = [t for lane in self.lanes.values() for t in (lane.start, lane.stop) if t is not None]
        times += [t for lane in self.lanes.values() for t, _ in lane.marks]
        return max(times, default=0.0) or 1.0

    def text(self, width: int = 40) -> str:
        """One row per lane: '=' while it ran, '|' at its stop, '!' at a mark."""
        end = self._end()
        label = max((len(n) for n in self.lanes), default=4)

        def column(t: float) -> int:
            return min(width, round(t / end * width))

        rows = [f"{'':{label}}  0 s{' ' * (width + 1 - 3 - len(_seconds(end)))}{_seconds(end)}"]
        for lane in self.lanes.values():
            cells = [" "] * (width + 1)
            if lane.start is not None:
                last = column(lane.stop if lane.stop is not None else end)
                for i in range(column(lane.start), last + 1):
                    cells[i] = "="
                if lane.stop is not None:
                    cells[last] = "|"
            for t, _ in lane.marks:
                cells[column(t)] = "!"
            rows.append(f"{lane.name:{label}}  {''.join(cells)}  {_notes(lane)}".rstrip())
        return "\n".join(rows)

    def __repr__(self) -> str:
        return self.text()

    def _repr_pretty_(self, p, cycle: bool) -> None:  # IPython's text display
        p.text(self.text())

    def _repr_html_(self) -> str:
        end = self._end()
        rows = []
        for lane in self.lanes.values():
            bars = []
            if lane.start is not None:
                stop = lane.stop if lane.stop is not None else end
                colour = "#d9534f" if "cancel" in lane.outcome or "error" in lane.outcome else "#5b8def"
                bars.append(
                    f'<div title="{html.escape(lane.outcome)}" style="position:absolute;left:{lane.start / end:.1%};'
                    f'width:{max(stop - lane.start, 0) / end:.1%};top:4px;height:14px;background:{colour};border-radius:3px"></div>'
                )
            for t, what in lane.marks:
                bars.append(
                    f'<div title="{html.escape(what)}" style="position:absolute;left:{t / end:.1%};top:0;'
                    f'width:2px;height:22px;background:#222"></div>'
                )
            notes = _notes(lane)
            wrap = "white-space:nowrap;width:1%" if len(notes) <= ONE_LINE else "min-width:10em"
            # The bars take whatever width is left: names and notes stay on one line in a narrow notebook.
            rows.append(
                f'<tr><td style="text-align:right;padding-right:8px;white-space:nowrap;width:1%">'
                f'<code style="white-space:nowrap">{html.escape(lane.name)}</code></td>'
                f'<td style="min-width:80px"><div style="position:relative;height:22px;background:#f3f3f3">{"".join(bars)}</div></td>'
                f'<td style="text-align:left;padding-left:8px;{wrap}">{html.escape(notes)}</td></tr>'
            )
        axis = (f'<tr><td></td><td><div style="display:flex;justify-content:space-between"><span>0 s</span>'
                f'<span>{_seconds(end)}</span></div></td><td></td></tr>')
        return f'<table style="border-collapse:collapse;table-layout:auto;width:100%;max-width:640px">{"".join(rows)}{axis}</table>'


class _Drawn:
    """The chart as it stands, as plain HTML and text: what a live chart leaves once every lane has stopped.

    A widget needs its model in a running kernel: after a restart, or in the notebook reopened, JupyterLab
    shows "Error displaying widget: model not found" in its place. Plain HTML is saved with the notebook.
    """

    def __init__(self, timeline: Timeline) -> None:
        self._html, self._text = timeline._repr_html_(), timeline.text()

    def _repr_html_(self) -> str:
        return f'<div class="coursekit-timeline">{self._html}</div>'

    def __repr__(self) -> str:
        return self._text


class _LiveView:
    """The chart as an ipywidgets HTML widget, redrawn as events arrive.

    JupyterLab updates the widget in place while the cell runs. The display
    also carries the text chart, which is what nbclient, CI and terminals
    keep: the display is updated along with the widget. Once every lane has
    stopped, the display becomes plain HTML (``_Drawn``), which survives a
    restart and reopening; an event after that brings the widget back.
    """

    def __init__(self, timeline: Timeline) -> None:
        import ipywidgets
        from IPython.display import display

        class View(ipywidgets.HTML):
            def _repr_mimebundle_(self, **kwargs):
                bundle = super()._repr_mimebundle_(**kwargs)
                bundle["text/plain"] = timeline.text()
                return bundle

        self._timeline = timeline
        self.widget = View(value=timeline._repr_html_())
        self.widget.add_class("coursekit-timeline")
        self._handle = display(self.widget, display_id=True)

    def redraw(self) -> None:
        self.widget.value = self._timeline._repr_html_()
        if self._handle is not None:
            lanes = self._timeline.lanes.values()
            finished = bool(lanes) and all(lane.start is not None and lane.stop is not None for lane in lanes)
            self._handle.update(_Drawn(self._timeline) if finished else self.widget)
