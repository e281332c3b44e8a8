#!/usr/bin/env bash
# Installs the few Debian packages the project needs when they are missing:
#   gettext  - msgfmt, to compile the Chinese translation catalog
#   chromium - the browser the end-to-end tests drive (plus a CJK font for screenshots)
#   pdf      - what WeasyPrint needs for the quote PDF: Pango (with its FreeType backend)
#              and a CJK font (fonts-noto-cjk), so Chinese quotes render without tofu
#   pdftools - poppler-utils (pdftotext, pdffonts, pdftoppm), for the quote PDF tests
set -euo pipefail
want=$1
need=()
case "$want" in
  gettext) command -v msgfmt >/dev/null || need+=(gettext) ;;
  chromium)
    [ -x /usr/bin/chromium ] || need+=(chromium)
    fc-list 2>/dev/null | grep -i 'cjk' >/dev/null || need+=(fonts-noto-cjk)
    ;;
  pdf)
    # grep without -q: with pipefail, -q exiting early would fail the pipeline (SIGPIPE).
    ldconfig -p 2>/dev/null | grep 'libpangoft2-1.0.so.0' >/dev/null || need+=(libpango-1.0-0 libpangoft2-1.0-0)
    fc-list 2>/dev/null | grep -i 'Noto Sans CJK' >/dev/null || need+=(fonts-noto-cjk)
    ;;
  pdftools) command -v pdftotext >/dev/null || need+=(poppler-utils) ;;
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
