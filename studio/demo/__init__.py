"""The demo model's world, its checker and its training: a small video model the studio ships, trained
here on one coloured shape moving on a plain background, so the studio makes a real shot on any CPU
and every mode can be checked by measurement (world.py makes the shots, checker.py reads them back)."""
