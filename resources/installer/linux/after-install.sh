#!/bin/bash
# postinst of the ZenithFence deb (electron-builder `deb.afterInstall`). electron-builder fills in
# the ${...} macros; shell variables below are therefore written without braces.
#
# Part 1 is electron-builder's own after-install.tpl (26.17.0), copied verbatim: a custom
# afterInstall replaces the default one, so its work (the /usr/bin link, chrome-sandbox, desktop and
# mime databases, AppArmor profile) is kept by copying it. resources/installer/linux/linux.test.ts
# fails when the installed electron-builder's template differs from this copy.
# shellcheck disable=SC2166,SC2006 # (electron-builder's lines; our part is checked without this)

if type update-alternatives >/dev/null 2>&1; then
    # Remove previous link if it doesn't use update-alternatives
    if [ -L '/usr/bin/${executable}' -a -e '/usr/bin/${executable}' -a "`readlink '/usr/bin/${executable}'`" != '/etc/alternatives/${executable}' ]; then
        rm -f '/usr/bin/${executable}'
    fi
    update-alternatives --install '/usr/bin/${executable}' '${executable}' '/opt/${sanitizedProductName}/${executable}' 100 || ln -sf '/opt/${sanitizedProductName}/${executable}' '/usr/bin/${executable}'
else
    ln -sf '/opt/${sanitizedProductName}/${executable}' '/usr/bin/${executable}'
fi

# Check if user namespaces are supported by the kernel and working with a quick test:
if ! { [[ -L /proc/self/ns/user ]] && unshare --user true; }; then
    # Use SUID chrome-sandbox only on systems without user namespaces:
    chmod 4755 '/opt/${sanitizedProductName}/chrome-sandbox' || true
else
    chmod 0755 '/opt/${sanitizedProductName}/chrome-sandbox' || true
fi

if hash update-mime-database 2>/dev/null; then
    update-mime-database /usr/share/mime || true
fi

if hash update-desktop-database 2>/dev/null; then
    update-desktop-database /usr/share/applications || true
fi

# Install apparmor profile. (Ubuntu 24+)
# First check if the version of AppArmor running on the device supports our profile.
# This is in order to keep backwards compatibility with Ubuntu 22.04 which does not support abi/4.0.
# In that case, we just skip installing the profile since the app runs fine without it on 22.04.
#
# Those apparmor_parser flags are akin to performing a dry run of loading a profile.
# https://wiki.debian.org/AppArmor/HowToUse#Dumping_profiles
#
# Unfortunately, at the moment AppArmor doesn't have a good story for backwards compatibility.
# https://askubuntu.com/questions/1517272/writing-a-backwards-compatible-apparmor-profile
if apparmor_status --enabled > /dev/null 2>&1; then
  APPARMOR_PROFILE_SOURCE='/opt/${sanitizedProductName}/resources/apparmor-profile'
  APPARMOR_PROFILE_TARGET='/etc/apparmor.d/${executable}'
  if apparmor_parser --skip-kernel-load --debug "$APPARMOR_PROFILE_SOURCE" > /dev/null 2>&1; then
    cp -f "$APPARMOR_PROFILE_SOURCE" "$APPARMOR_PROFILE_TARGET"

    # Updating the current AppArmor profile is not possible and probably not meaningful in a chroot'ed environment.
    # Use cases are for example environments where images for clients are maintained.
    # There, AppArmor might correctly be installed, but live updating makes no sense.
    if ! { [ -x '/usr/bin/ischroot' ] && /usr/bin/ischroot; } && hash apparmor_parser 2>/dev/null; then
      # Extra flags taken from dh_apparmor:
      # > By using '-W -T' we ensure that any abstraction updates are also pulled in.
      # https://wiki.debian.org/AppArmor/Contribute/FirstTimeProfileImport
      apparmor_parser --replace --write-cache --skip-read-cache "$APPARMOR_PROFILE_TARGET"
    fi
  else
    echo "Skipping the installation of the AppArmor profile as this version of AppArmor does not seem to support the bundled profile"
  fi
fi

# ---- ZenithFence: the zenithfenced daemon --------------------------------------------------------
# Part 2: the daemon's group and service, as dh_installsystemd would write it.
zf_unit=zenithfenced.service
zf_group=zenithfence

case "$1" in
  configure | abort-upgrade | abort-deconfigure | abort-remove)
    # Members of this group may use the daemon's socket (zenithfenced --group zenithfence).
    if ! getent group "$zf_group" >/dev/null; then
      if ! groupadd --system "$zf_group"; then
        echo "ZenithFence: could not create the system group $zf_group." >&2
        exit 1
      fi
    fi

    if command -v deb-systemd-helper >/dev/null 2>&1; then
      deb-systemd-helper unmask "$zf_unit" >/dev/null || true
      if deb-systemd-helper --quiet was-enabled "$zf_unit"; then
        deb-systemd-helper enable "$zf_unit" >/dev/null || true
      else
        deb-systemd-helper update-state "$zf_unit" >/dev/null || true
      fi
    else
      systemctl enable "$zf_unit" >/dev/null 2>&1 || true
    fi

    # Only where systemd runs (not in a chroot or an image build).
    if [ -d /run/systemd/system ]; then
      systemctl --system daemon-reload >/dev/null || true
      # A second argument is the version being upgraded from: restart onto the new binary.
      if [ -n "$2" ]; then zf_action=restart; else zf_action=start; fi
      if command -v deb-systemd-invoke >/dev/null 2>&1; then
        deb-systemd-invoke "$zf_action" "$zf_unit" >/dev/null || true
      else
        systemctl "$zf_action" "$zf_unit" || true
      fi
      if ! systemctl --quiet is-active "$zf_unit"; then
        echo "ZenithFence: $zf_unit did not start; see: journalctl -u $zf_unit" >&2
      fi
    fi

    echo "ZenithFence: users who run the app must be in the group $zf_group:"
    echo "  sudo usermod -aG $zf_group USER   (then log out and in again)"
    ;;
esac
