#!/bin/sh
# Install Studio for you alone (no root): copies this folder to $PREFIX (default ~/.local/opt/studio),
# adds the `studio-launcher` command to ~/.local/bin and Studio to your applications menu, with .studio
# projects and .otio timelines opening in it. Run it again from a newer download to update: your
# projects, models and settings live elsewhere and are not touched.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
PREFIX=${PREFIX:-"$HOME/.local/opt/studio"}
MARK=.studio-install  # says a folder is a Studio install, so only such a folder is ever replaced

case "$PREFIX" in
/*) ;;
*) echo "install.sh: PREFIX must be an absolute path, not '$PREFIX'." >&2; exit 2 ;;
esac
if [ ! -x "$HERE/Studio" ]; then
    echo "install.sh: $HERE/Studio is missing; unpack the whole Studio folder again and rerun install.sh." >&2
    exit 2
fi
if [ -e "$PREFIX" ] && [ ! -e "$PREFIX/$MARK" ] && [ -n "$(ls -A "$PREFIX" 2>/dev/null)" ]; then
    echo "install.sh: $PREFIX is not empty and holds no Studio; choose another folder: PREFIX=/some/folder ./install.sh" >&2
    exit 2
fi

if [ "$HERE" != "$PREFIX" ]; then
    echo "Copying Studio to $PREFIX"
    mkdir -p "$(dirname "$PREFIX")"
    # Copied beside the old install and swapped in at the end: a failed copy leaves the old one working.
    NEW="$PREFIX.new.$$"
    OLD="$PREFIX.old.$$"
    trap 'rm -rf "$NEW"' EXIT
    cp -R "$HERE/." "$NEW"
    touch "$NEW/$MARK"
    if [ -e "$PREFIX" ]; then mv "$PREFIX" "$OLD"; fi
    mv "$NEW" "$PREFIX"
    trap - EXIT
    rm -rf "$OLD"
fi

BIN="$HOME/.local/bin"
mkdir -p "$BIN"
# A wrapper, not a link, so the launcher always finds the folder (and its payload) it lives in.
printf '#!/bin/sh\n# studio-install: written by Studio'"'"'s install.sh\nexec "%s/Studio" "$@"\n' "$PREFIX" > "$BIN/studio-launcher"
chmod 755 "$BIN/studio-launcher"

echo "Adding Studio to the applications menu"
"$PREFIX/Studio" --install-desktop

echo "Studio is installed in $PREFIX."
echo "Open it from your applications menu, or run: studio-launcher (the first start sets up its environment)."
echo "To remove it: $PREFIX/uninstall.sh (your projects and models are kept)."
