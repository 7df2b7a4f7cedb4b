"""The GPU benchmark in one command: the families' full-size models with random weights (no download),
one transformer pass each (TFLOP/s against a written FLOP count), a whole shot per family (the stock
diffusers call vs the studio's path) and the memory tiers, within 8 minutes on one H100/H200.

    python benchmarks/gpu.py            # on CUDA; says so and exits 0 without one
    python benchmarks/gpu.py --tiny     # the same code with tiny models on the CPU (the test's run)

The same as `studio bench`. The code lives in studio/testing/bench/ (its docstring has the sections, the
budget's arithmetic and the FLOP formulas in flops.py); the table is appended to benchmarks/gpu-results.md
with the device and date.
"""

import sys

from studio.testing.bench import main

if __name__ == "__main__":
    sys.exit(main())
