"""The benchmark's time guard: each section estimates its time before it runs and is skipped, with a note
in the table, when it would take the run past its budget (8 minutes by default).

Estimates assume a pass reaches EFFICIENCY of the device's dense bf16 peak, plus fixed allowances for
building the random-weight components, the text encode and VAE decode of a shot, and compiling.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

BUDGET_SECONDS = 8 * 60
# Dense bf16 peak (TFLOP/s) by device name, from the vendors' data sheets (SXM parts).
PEAK_BF16 = {"H100": 989.0, "H200": 989.0, "B200": 2250.0, "A100": 312.0, "L40S": 362.0, "RTX 4090": 165.0}
UNKNOWN_GPU_TFLOPS = 150.0  # a GPU not in the table: assume a modest one, so the guard errs on skipping
CPU_TFLOPS = 0.05
EFFICIENCY = 0.4
BUILD_SECONDS = 3.0  # per component set, plus the parameters' initialisation:
INIT_PARAMETERS_PER_SECOND = 5e9
DECODE_SECONDS = 8.0  # a shot's text encode and VAE decode at the card's size
COMPILE_SECONDS = 30.0  # the studio's path compiling its repeated blocks the first time
SHOT_SECONDS = 30.0  # the denoising of both runs of a shot (stock and the studio's) together
MIN_STEPS = 2


def peak_tflops(device_name: str | None) -> float | None:
    """The table's peak for a device name; None for the CPU or a GPU not in the table."""
    if device_name is None:
        return None
    return next((value for key, value in PEAK_BF16.items() if key in device_name), None)


def assumed_tflops(device_name: str | None) -> float:
    """The rate the estimates assume on this device (device_name None: the CPU)."""
    if device_name is None:
        return CPU_TFLOPS
    return (peak_tflops(device_name) or UNKNOWN_GPU_TFLOPS) * EFFICIENCY


def build_seconds(parameters: float) -> float:
    return BUILD_SECONDS + parameters / INIT_PARAMETERS_PER_SECOND


def shot_steps(card_steps: int, step_seconds: float) -> int:
    """The steps a shot runs: the card's, or fewer so both runs' denoising fits SHOT_SECONDS (at least
    MIN_STEPS)."""
    fitting = math.floor(SHOT_SECONDS / (2 * step_seconds)) if step_seconds > 0 else card_steps
    return max(MIN_STEPS, min(card_steps, fitting))


@dataclass
class Budget:
    seconds: float
    start: float = field(default_factory=time.perf_counter)
    skipped: list[str] = field(default_factory=list)

    def left(self) -> float:
        return self.seconds - (time.perf_counter() - self.start)

    def allows(self, what: str, estimate: float) -> bool:
        """Whether a section estimated at `estimate` seconds fits what is left; if not, noted as skipped."""
        left = self.left()
        if estimate <= left:
            return True
        self.skipped.append(f"{what}: estimated {estimate:.0f} s, {max(left, 0):.0f} s of the budget left")
        return False
