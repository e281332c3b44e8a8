#!/usr/bin/env bash
# Installs the few Debian packages the project needs when they are missing:
#   gettext  - msgfmt, to compile the Chinese translation catalog
#   chromium - the browser the end-to-end tests drive (plus a CJK font for screenshots)
set -euo pipefail
want=$1
need=()
case "$want" in
  gettext) command -v msgfmt >/dev/null || need+=(gettext) ;;
  chromium)
    [ -x /usr/bin/chromium ] || need+=(chromium)
    fc-list 2>/dev/null | grep -qi 'cjk' || need+=(fonts-noto-cjk)
    ;;
esac
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] && ! command -v sudo >/dev/null; then
  echo "Missing system packages: ${need[*]}. Install them with: apt-get install ${need[*]}" >&2
  exit 1
fi
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
echo "Installing system packages: ${need[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
