#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages Hato needs, only those missing: `deps.sh run` for building and
# running the app, `deps.sh test` for everything the tests use, `deps.sh windows` for the Windows build
# under Wine alone (make test-windows). Uses sudo when not root.
set -euo pipefail

# Building the desktop app: cgo headers for Fyne's GLFW/OpenGL driver (X11 and Wayland), and a CJK font:
# Fyne's own font has no Japanese or Chinese glyphs and falls back to the system's.
build=(gcc pkg-config libgl1-mesa-dev libx11-dev libxext-dev libxrender-dev libxfixes-dev libxcursor-dev libxrandr-dev libxinerama-dev libxi-dev
  libxxf86vm-dev libwayland-dev libxkbcommon-dev fonts-noto-cjk)
# Tests: network namespaces, a real iptux peer under Xvfb driven through a private D-Bus (gdbus), AT-SPI
# and xdotool, a font (iptux dies with BadAlloc under Xvfb without one), tar and socat for the folder
# transfer benchmark's baseline, and openssl as the independent implementation the encryption tests
# check Hato's ciphertexts and signatures against, and xclip to put a screenshot on the X clipboard for
# the desktop app's paste test, and python3-xlib to close a window as a window manager would
# (WM_DELETE_WINDOW; Xvfb runs none), and the freedesktop validators for what make install puts in
# the menu (desktop-file-utils, appstream), and a real notification daemon with dbus-monitor to see what
# the app tells it (dunst, dbus-bin), and GTK 3 for python as a drag source that drops a file by XDND as a
# file manager does (python3-gi, gir1.2-gtk-3.0), and a real StatusNotifier tray with its watcher
# (haskell-gtk-sni-tray-utils: gtk-sni-tray-standalone); make package cross-builds hato.exe with mingw and
# packs the Linux tarball with xz.
test=(iproute2 util-linux iptux xvfb xdotool dbus-daemon libglib2.0-bin at-spi2-core python3-pyatspi
  fonts-dejavu-core tar socat openssl xclip python3-xlib desktop-file-utils appstream dunst dbus-bin
  python3-gi gir1.2-gtk-3.0 haskell-gtk-sni-tray-utils gcc-mingw-w64-x86-64 xz-utils)
# The Windows build under Wine (make test-windows): mingw cross-builds it and the stand-in
# bcryptprimitives.dll, Wine runs it (64-bit only: wine64; no recommends, so no Mono, Gecko or fonts),
# network namespaces hold it.
windows=(iproute2 util-linux gcc-mingw-w64-x86-64 wine wine64)

case "${1:-}" in
run) want=("${build[@]}") ;;
test) want=("${build[@]}" "${test[@]}" "${windows[@]}") ;;
windows) want=("${windows[@]}") ;;
*) echo "usage: $0 run|test|windows" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
if ! command -v apt-get >/dev/null; then
  echo "deps: please install these packages with your package manager: ${missing[*]}" >&2
  exit 1
fi
echo "deps: installing ${missing[*]}"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
