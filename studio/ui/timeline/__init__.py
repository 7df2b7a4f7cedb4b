"""The timeline: tracks drawn to scale under a time ruler, with a playhead.

A custom-painted widget that paints only the visible frame range. Mouse drags preview on the
widget and become exactly one edit command when the button is released.

    widget.py        TimelineWidget: state, signals, zoom and scroll, playhead, Qt events handed on
    geometry.py      frames <-> pixels, the rows of tracks, what is under a point (clip edge, transition, marker)
    selection.py     selected clips, gap, transition and track; kept valid as the model changes
    painting.py      drawing the tracks, clips (filmstrip, waveform, fades), transitions, drag preview, playhead
    ruler.py         drawing the time ruler, the in/out marks and the markers' flags
    headers.py       the track headers: name, lock and eye/speaker toggles, drawn and clicked
    interaction.py   the mouse: press, drag (move, trim, ripple, roll, slip, extend, rubber band), release
    snapping.py      which frames a dragged edge snaps to, and the snap itself
    placeholders.py  shots being generated, drawn where they will land
    detail.py        level of detail zoomed out: tiny clips merged into runs, marker flags that would overlap dropped
    drops.py         media dropped from the bin, stills dropped from the file manager
"""

from .drops import STILL_SECONDS
from .geometry import (
    EDGE_GRAB,
    HEADER_BUTTON,
    HEADER_WIDTH,
    MARKER_COLOUR,
    MARKER_GRAB,
    MAX_PX_PER_FRAME,
    MIN_PX_PER_FRAME,
    RULER_HEIGHT,
    TRACK_HEIGHT,
    TRANSITION_HEIGHT,
    clips_between,
)
from .placeholders import Placeholder
from .snapping import SNAP_PIXELS
from .widget import TimelineWidget

__all__ = [
    "EDGE_GRAB",
    "HEADER_BUTTON",
    "HEADER_WIDTH",
    "MARKER_COLOUR",
    "MARKER_GRAB",
    "MAX_PX_PER_FRAME",
    "MIN_PX_PER_FRAME",
    "RULER_HEIGHT",
    "SNAP_PIXELS",
    "STILL_SECONDS",
    "TRACK_HEIGHT",
    "TRANSITION_HEIGHT",
    "Placeholder",
    "TimelineWidget",
    "clips_between",
]
