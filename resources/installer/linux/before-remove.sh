#!/bin/bash
# prerm of the ZenithFence deb (passed to fpm as --before-remove in electron-builder.yml: electron-
# builder has no option of its own for it, and does not fill in macros here).
#
# Stops zenithfenced before its files go away. On an upgrade ("upgrade") it keeps running: the
# postinst restarts it onto the new binary, so the firewall is never down longer than a restart.
# Stopping answers every held packet and removes the daemon's rules (driver/README.md).
zf_unit=zenithfenced.service

if [ "$1" = remove ] && [ -d /run/systemd/system ]; then
  if command -v deb-systemd-invoke >/dev/null 2>&1; then
    deb-systemd-invoke stop "$zf_unit" >/dev/null || true
  else
    systemctl stop "$zf_unit" || true
  fi
fi
if [ "$1" = remove ] && ! command -v deb-systemd-helper >/dev/null 2>&1; then
  systemctl disable "$zf_unit" >/dev/null 2>&1 || true
fi
exit 0
