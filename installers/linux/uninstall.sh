#!/bin/sh
# Remove Studio: its environment, its menu entry and file types (the launcher's --uninstall), the
# studio-launcher command, and this folder. Your projects are always kept; models and settings too,
# unless you pass --remove-models or --remove-settings.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
MARK=.studio-install

"$HERE/Studio" --uninstall "$@"

WRAPPER="$HOME/.local/bin/studio-launcher"
if [ -f "$WRAPPER" ] && grep -q "studio-install" "$WRAPPER" && grep -q "$HERE/Studio" "$WRAPPER"; then
    rm -f "$WRAPPER"
fi
if [ -e "$HERE/$MARK" ]; then
    rm -rf "$HERE"
    echo "Removed $HERE."
fi
