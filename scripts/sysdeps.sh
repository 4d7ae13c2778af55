#!/usr/bin/env bash
# The system packages the app and its tests need on Linux (Debian/Ubuntu names): the libraries
# Qt's platform plugins (xcb, offscreen) and QtMultimedia load, and Xvfb for the real-display tier.
# Installed with apt when we are root on Debian/Ubuntu; otherwise named in one clear message.
# (No ffmpeg: QtMultimedia's FFmpeg plugin ships its own libav* in the PySide6 wheel.)
set -u
[ "$(uname -s)" = "Linux" ] || exit 0
pkgs=(
  # Qt itself (QtCore/QtGui link GLib, fontconfig, OpenGL, EGL), QtDBus, QtMultimedia's PulseAudio
  libglib2.0-0 libegl1 libgl1 libfontconfig1 libdbus-1-3 libpulse0 fonts-dejavu-core
  # the xcb platform plugin (libqxcb.so, libQt6XcbQpa.so.6 and the xcbglintegrations), Qt 6.5+
  libx11-xcb1 libxkbcommon0 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0
  libxcb-keysyms1 libxcb-randr0 libxcb-render0 libxcb-render-util0 libxcb-shape0 libxcb-shm0
  libxcb-sync1 libxcb-util1 libxcb-xfixes0 libxcb-xkb1 libxcb-glx0
  # the software OpenGL driver (swrast/llvmpipe) that Qt's xcb GLX integration loads where there
  # is no GPU driver, as on Xvfb; the FFmpeg multimedia plugin links libXrandr and libXext
  libgl1-mesa-dri libxrandr2 libxext6
  # the real-display test tier: an X server of the tests' own (xauth for xvfb-run)
  xvfb xauth
)
missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  # One query for all: packages dpkg has never heard of print nothing and count as missing.
  # Ubuntu 24.04 renamed some libraries (libglib2.0-0t64); either name counts as installed.
  installed=" $(dpkg-query -W -f='${Package}=${Status} ' "${pkgs[@]}" "${pkgs[@]/%/t64}" 2>/dev/null) "
  for p in "${pkgs[@]}"; do
    [[ "$installed" == *" $p=install ok installed "* || "$installed" == *" ${p}t64=install ok installed "* ]] \
      || missing+=("$p")
  done
fi
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing system packages Qt and the tests need: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || echo "Could not install ${missing[*]}; install them with your package manager." >&2
else
  echo "These system packages that Qt or the real-display tests need are missing: ${missing[*]}" >&2
  echo "Install them with: sudo apt-get install ${missing[*]}" >&2
  [[ " ${missing[*]} " == *" xvfb "* ]] \
    && echo "(Without xvfb the real-display tests skip, saying why; the rest runs.)" >&2
fi
exit 0
