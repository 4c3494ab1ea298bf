#!/bin/bash
# postrm of the ZenithFence deb (electron-builder `deb.afterRemove`). electron-builder fills in
# the ${...} macros; shell variables below are therefore written without braces.
#
# Part 1 is electron-builder's own after-remove.tpl (26.17.0), copied verbatim (a custom afterRemove
# replaces the default one); resources/installer/linux/linux.test.ts fails when they differ.

# Delete the link to the binary
# update-alternatives --remove <name> <path>: 'path' must be the registered alternative binary,
# not the generic symlink — see https://man7.org/linux/man-pages/man1/update-alternatives.1.html
if type update-alternatives >/dev/null 2>&1; then
    update-alternatives --remove '${executable}' '/opt/${sanitizedProductName}/${executable}'
else
    rm -f '/usr/bin/${executable}'
fi

APPARMOR_PROFILE_DEST='/etc/apparmor.d/${executable}'

# Remove and unload apparmor profile.
if [ -f "$APPARMOR_PROFILE_DEST" ]; then
  # Unload the profile from the running kernel before deleting the file so the
  # policy is not left enforced until the next reboot.  Mirror the chroot guard
  # used in the after-install script — live AppArmor operations are not
  # meaningful inside a chroot.
  # https://wiki.debian.org/AppArmor/HowToUse
  if apparmor_status --enabled > /dev/null 2>&1; then
    if ! { [ -x '/usr/bin/ischroot' ] && /usr/bin/ischroot; } && hash apparmor_parser 2>/dev/null; then
      apparmor_parser --remove "$APPARMOR_PROFILE_DEST" || true
    fi
  fi
  rm -f "$APPARMOR_PROFILE_DEST"
fi
# ---- ZenithFence: the zenithfenced daemon --------------------------------------------------------
# Part 2: forget the service, as dh_installsystemd would write it. The prerm (before-remove.sh) has
# stopped it. The group zenithfence stays (Debian does not remove system groups: files may still
# belong to it).
zf_unit=zenithfenced.service

if [ "$1" = remove ] && command -v deb-systemd-helper >/dev/null 2>&1; then
  deb-systemd-helper mask "$zf_unit" >/dev/null || true
fi
if [ "$1" = purge ] && command -v deb-systemd-helper >/dev/null 2>&1; then
  deb-systemd-helper purge "$zf_unit" >/dev/null || true
  deb-systemd-helper unmask "$zf_unit" >/dev/null || true
fi
if [ -d /run/systemd/system ]; then
  systemctl --system daemon-reload >/dev/null || true
fi
