"""Optical-flow retiming: a picture between two neighbouring frames of a clip, for a clip whose
rate differs from the sequence's when its retime is "flow".

Dense flow both ways (OpenCV's Farneback) on grey versions of the two frames, then each frame
warped toward the in-between time and the two blended by nearness in time. The flows at the
in-between time are approximated from the two end flows as in Super SloMo (Jiang et al., 2018):
F_t0 = -(1-t)·t·F_01 + t²·F_10 and F_t1 = (1-t)²·F_01 - t·(1-t)·F_10, which is exact for
motion in a straight line at constant speed.
"""

from __future__ import annotations

import cv2
import numpy as np

# Farneback settings: a pyramid deep enough for motion of tens of pixels at the sizes the viewer
# and export use, smoothing over 15-pixel windows.
_FLOW = dict(pyr_scale=0.5, levels=4, winsize=15, iterations=3, poly_n=5, poly_sigma=1.2, flags=0)


def _flow(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return cv2.calcOpticalFlowFarneback(a, b, None, **_FLOW)  # type: ignore[call-overload]  # its stubs want every setting by position


def _warp(picture: np.ndarray, flow: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """The picture sampled at each pixel plus its flow vector (a backward warp)."""
    coords = grid + flow
    return cv2.remap(picture, coords[..., 0], coords[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def inbetween(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    """The picture at fraction t (0 < t < 1) of the way from frame a to frame b, both uint8 RGB of
    one size; a new uint8 array."""
    if a.shape != b.shape:
        raise ValueError(f"frames of different sizes: {a.shape} and {b.shape}")
    grey_a, grey_b = cv2.cvtColor(a, cv2.COLOR_RGB2GRAY), cv2.cvtColor(b, cv2.COLOR_RGB2GRAY)
    f01, f10 = _flow(grey_a, grey_b), _flow(grey_b, grey_a)
    ft0 = -(1 - t) * t * f01 + t * t * f10
    ft1 = (1 - t) * (1 - t) * f01 - t * (1 - t) * f10
    h, w = a.shape[:2]
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    grid = np.dstack([xs, ys])
    warped_a = _warp(a, ft0.astype(np.float32), grid).astype(np.float32)
    warped_b = _warp(b, ft1.astype(np.float32), grid).astype(np.float32)
    return np.clip(np.rint((1 - t) * warped_a + t * warped_b), 0, 255).astype(np.uint8)
