#!/bin/sh
# Add Specialised Commissioning to this user's applications menu (no administrator needed).
# Run it from the unpacked folder; run it again after moving the folder.
#   ./install-desktop-entry.sh            add the menu entry and icons
#   ./install-desktop-entry.sh --remove   take them away again (your data stays)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
data=${XDG_DATA_HOME:-$HOME/.local/share}
entry=$data/applications/commissioning.desktop

if [ "${1:-}" = "--remove" ]; then
  rm -f "$entry"
  find "$data/icons/hicolor" -path '*/apps/commissioning.*' -delete 2>/dev/null || true
  echo "Removed the menu entry."
  exit 0
fi

mkdir -p "$data/applications"
(cd "$here/share/icons" && find hicolor -type f) | while read -r icon; do
  mkdir -p "$data/icons/$(dirname "$icon")"
  cp "$here/share/icons/$icon" "$data/icons/$icon"
done
sed "s|^Exec=.*|Exec=\"$here/commissioning\"|" "$here/share/applications/commissioning.desktop" \
  >"$entry"
command -v update-desktop-database >/dev/null && update-desktop-database "$data/applications" || true
echo "Added Specialised Commissioning to your applications menu ($entry)."
