"""Starts the desktop studio: python main.py [PROJECT]"""

import sys

from studio.ui.app import main

if __name__ == "__main__":
    sys.exit(main(sys.argv))
