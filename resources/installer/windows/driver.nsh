; driver.nsh: electron-builder's `nsis.include` for ZenithFence (resources/README.md, "Windows").
;
; customInit       refuses anything but 64-bit Windows 10 version 2004 (build 19041) or later: the
;                  driver allocates with ExAllocatePool2 (driver/windows/README.md).
; customInstall    runs after the app's files are in place: installs the WFP callout driver as the
;                  kernel service "ZenithFence" (auto-start after BFE) and starts it, then registers
;                  the logon task that starts the app with administrator rights at every logon. On
;                  any failure it shows why, undoes every step it made, and aborts the installation.
; customUnInstall  on a real uninstall: removes the logon task and the driver's boot guard, stops
;                  and deletes the service and the driver file. Not on an update: electron-builder
;                  runs the old version's uninstaller with --updated (${isUpdated}) before it installs
;                  the new files, and the new installer's customInstall then replaces the driver in
;                  place; the boot guard stays, so the machine stays protected during the update.
;
; The boot guard (driver/windows/README.md, "Boot-time protection"): while the user's no-app action
; blocks, the driver keeps persistent and boot-time WFP filters that block everything but loopback
; and DHCP whenever the driver is not running. They outlive the driver, so an uninstall that left
; them would leave a machine without network. customUnInstall therefore, before it deletes the
; service: (1) starts the driver if it is not running (its unload only runs when it is loaded),
; (2) sets the REG_DWORD Parameters\RemoveGuard = 1 under the service key, (3) stops it: the
; driver's unload sees the value and deletes the guard's filters, callouts and sublayer by key
; (driver/windows/src/guard_removal.rs); (4) deletes the same keys itself through the user-mode
; WFP management API (fwpuclnt.dll), which also covers a driver that cannot start (file missing,
; signature no longer accepted) or cannot stop. customInstall deletes RemoveGuard before it stops
; an installed driver, so a value left by an unfinished uninstall never removes the guard later.
;
; Why sc.exe and not pnputil: the driver is a legacy (non-PnP) WDM driver. ZenithFence.inf has only
; DefaultInstall sections and says that pnputil is not used for it; the app itself creates and starts
; the service through the service control manager (native/src/windows/service-control.ts). The
; installer does what the INF describes: ZenithFence.sys to System32\drivers (DestinationDirs 12), a
; kernel service named ZenithFence with normal error control that starts automatically at boot and
; depends on BFE (the Base Filtering Engine it registers with), so the stored policy applies from
; boot, before anyone logs in.
;
; Why a logon task and not the Run key: the app must run elevated (the device admits only SYSTEM and
; Administrators), and Windows does not start elevated programs from the Run key or the Startup
; folder. The task is the XML form of `schtasks /Create /SC ONLOGON /RL HIGHEST`, plus what schtasks
; cannot set: any user's logon, no 72-hour run limit, runs on battery.
;
; The installer is a 32-bit process: file system redirection is off while it touches System32 (and
; back on while it loads a DLL: DLL loading needs it). HKLM\SYSTEM is not redirected for 32-bit
; processes (only HKLM\SOFTWARE is), so the Parameters key is the 64-bit driver's own.
; Everything here is plain ASCII (makensis reads includes in the system code page).

!include LogicLib.nsh
!include x64.nsh
!include WinVer.nsh

; The service, its driver file and logon task. Only a test build (driver-nsh.wine.test.ts) defines
; its own, so that it never touches an installed ZenithFence; the product's are these.
!ifndef ZF_SERVICE
!define ZF_SERVICE "ZenithFence"
!define ZF_DRIVER_FILE "ZenithFence.sys"
!define ZF_IMAGE_PATH "\SystemRoot\System32\drivers\ZenithFence.sys"
!define ZF_TASK "ZenithFence"
!endif
; A test build under Wine 8 (which reports build 18362) lowers it to run the rest of the include.
!ifndef ZF_MIN_BUILD
!define ZF_MIN_BUILD 19041
!endif
; The value the driver's unload reads (driver/windows/src/guard_removal.rs, REMOVE_GUARD_VALUE).
!define ZF_PARAMETERS_KEY "SYSTEM\CurrentControlSet\Services\${ZF_SERVICE}\Parameters"
!define ZF_REMOVE_GUARD_VALUE "RemoveGuard"
; The boot guard's WFP objects (driver/windows/src/boot_guard.rs): 24 filters whose keys are the
; prefix, two hex digits 00 to 17, and "}"; 4 callouts; 1 sublayer.
!define ZF_GUARD_FILTER_KEY_PREFIX "{7467b1ba-84f4-41d0-ac29-6ff4800085"
!define ZF_GUARD_FILTER_COUNT 24
!define ZF_GUARD_CALLOUT_CONNECT_V4 "{d750c429-254f-4588-b8fb-a7030991707b}"
!define ZF_GUARD_CALLOUT_CONNECT_V6 "{32f95c1d-4270-4532-a504-40d47e2c6fd5}"
!define ZF_GUARD_CALLOUT_RECV_ACCEPT_V4 "{99f9a37f-1a0f-4eca-a656-8e505b9e358a}"
!define ZF_GUARD_CALLOUT_RECV_ACCEPT_V6 "{11e89d53-b4f8-4fbf-8f71-b63131b0ec9f}"
!define ZF_GUARD_SUBLAYER "{a244a415-b9cc-46a6-bb07-8f1a13dd4db6}"
; What the WFP management API returns for a key it does not know (winerror.h FWP_E_*).
!define ZF_FWP_E_CALLOUT_NOT_FOUND 0x80320001
!define ZF_FWP_E_FILTER_NOT_FOUND 0x80320003
!define ZF_FWP_E_SUBLAYER_NOT_FOUND 0x80320007
!define ZF_RPC_C_AUTHN_WINNT 10
; Win32 error codes that sc.exe returns as its exit code.
!define ZF_ERROR_INVALID_IMAGE_HASH 577
!define ZF_ERROR_SERVICE_ALREADY_RUNNING 1056
!define ZF_ERROR_SERVICE_DOES_NOT_EXIST 1060
!define ZF_ERROR_DRIVER_BLOCKED 1275

; Runs CMD hidden; its exit code (or "error" when it could not start) in $0, both in the log.
!macro zfExec CMD
  nsExec::ExecToLog `${CMD}`
  Pop $0
  DetailPrint `ZenithFence: exit code $0: ${CMD}`
!macroend

; $R9 = 1 when the text HAYSTACK contains NEEDLE (case-insensitive), else 0. Uses $R6 to $R8.
!macro zfContains HAYSTACK NEEDLE
  StrLen $R8 `${NEEDLE}`
  StrCpy $R7 0
  StrCpy $R9 0
  ${Do}
    StrCpy $R6 `${HAYSTACK}` $R8 $R7
    ${If} $R6 == ``
      ${ExitDo}
    ${EndIf}
    ${If} $R6 == `${NEEDLE}`
      StrCpy $R9 1
      ${ExitDo}
    ${EndIf}
    IntOp $R7 $R7 + 1
  ${Loop}
!macroend

; Stops the service and waits up to 30 s. $0 = 0 when it is stopped or not installed.
!macro zfStopService
  !insertmacro zfExec `"$SYSDIR\sc.exe" stop ${ZF_SERVICE}`
  StrCpy $1 0
  ${Do}
    nsExec::ExecToStack `"$SYSDIR\sc.exe" query ${ZF_SERVICE}`
    Pop $0
    Pop $2
    ${If} $0 == ${ZF_ERROR_SERVICE_DOES_NOT_EXIST}
      StrCpy $0 0
      ${ExitDo}
    ${EndIf}
    !insertmacro zfContains $2 "STOPPED"
    ${If} $R9 == 1
      StrCpy $0 0
      ${ExitDo}
    ${EndIf}
    ${If} $1 >= 60
      StrCpy $0 1
      ${ExitDo}
    ${EndIf}
    IntOp $1 $1 + 1
    Sleep 500
  ${Loop}
!macroend

; Deletes one WFP object by key in the engine session $3 with FUNC (FwpmFilterDeleteByKey0,
; FwpmCalloutDeleteByKey0 or FwpmSubLayerDeleteByKey0). NOT_FOUND, FUNC's "no such key", is fine
; (never installed, or the driver removed it already); anything else is logged and counted in $4.
; Uses $0 and $2.
!macro zfDeleteWfpObject FUNC KEY NOT_FOUND
  System::Call `fwpuclnt::${FUNC}(p r3, g "${KEY}") i .r0`
  ${If} $0 == "error"
    ; The System plug-in could not call the function at all.
    StrCpy $2 "error"
  ${Else}
    IntFmt $2 "0x%08X" $0
  ${EndIf}
  ${If} $2 == "0x00000000"
    DetailPrint "ZenithFence: removed WFP object ${KEY}"
  ${ElseIf} $2 != ${NOT_FOUND}
    DetailPrint "ZenithFence: ${FUNC} ${KEY} failed: $2"
    IntOp $4 $4 + 1
  ${EndIf}
!macroend

; Deletes the boot guard's WFP objects by key, independently of the driver: filters first, then the
; callouts and the sublayer they use (an object in use cannot be deleted). $4 = how many could not
; be deleted (a filtering engine that cannot be opened counts as one). Uses $0 to $4 and $R7.
!macro zfRemoveBootGuard
  ; The 32-bit installer must load the 32-bit fwpuclnt.dll from SysWOW64: redirection on.
  ${EnableX64FSRedirection}
  StrCpy $3 0
  StrCpy $4 0
  System::Call `fwpuclnt::FwpmEngineOpen0(p 0, i ${ZF_RPC_C_AUTHN_WINNT}, p 0, p 0, *p .r3) i .r0`
  ${If} $0 != 0
  ${OrIf} $3 == 0
    DetailPrint "ZenithFence: could not open the Windows filtering engine to remove the boot guard ($0)."
    StrCpy $4 1
  ${Else}
    StrCpy $1 0
    ${Do}
      IntFmt $R7 "%02x" $1
      !insertmacro zfDeleteWfpObject FwpmFilterDeleteByKey0 "${ZF_GUARD_FILTER_KEY_PREFIX}$R7}" ${ZF_FWP_E_FILTER_NOT_FOUND}
      IntOp $1 $1 + 1
    ${LoopUntil} $1 >= ${ZF_GUARD_FILTER_COUNT}
    !insertmacro zfDeleteWfpObject FwpmCalloutDeleteByKey0 "${ZF_GUARD_CALLOUT_CONNECT_V4}" ${ZF_FWP_E_CALLOUT_NOT_FOUND}
    !insertmacro zfDeleteWfpObject FwpmCalloutDeleteByKey0 "${ZF_GUARD_CALLOUT_CONNECT_V6}" ${ZF_FWP_E_CALLOUT_NOT_FOUND}
    !insertmacro zfDeleteWfpObject FwpmCalloutDeleteByKey0 "${ZF_GUARD_CALLOUT_RECV_ACCEPT_V4}" ${ZF_FWP_E_CALLOUT_NOT_FOUND}
    !insertmacro zfDeleteWfpObject FwpmCalloutDeleteByKey0 "${ZF_GUARD_CALLOUT_RECV_ACCEPT_V6}" ${ZF_FWP_E_CALLOUT_NOT_FOUND}
    !insertmacro zfDeleteWfpObject FwpmSubLayerDeleteByKey0 "${ZF_GUARD_SUBLAYER}" ${ZF_FWP_E_SUBLAYER_NOT_FOUND}
    System::Call `fwpuclnt::FwpmEngineClose0(p r3)`
  ${EndIf}
  ${DisableX64FSRedirection}
!macroend

; $R9 = TEXT with "&" written as "&amp;" (the only XML special character a Windows path can hold).
!macro zfXmlEscape TEXT
  StrCpy $R5 `${TEXT}`
  StrCpy $R9 ""
  StrCpy $R7 0
  ${Do}
    StrCpy $R6 $R5 1 $R7
    ${If} $R6 == ""
      ${ExitDo}
    ${ElseIf} $R6 == "&"
      StrCpy $R9 "$R9&amp;"
    ${Else}
      StrCpy $R9 "$R9$R6"
    ${EndIf}
    IntOp $R7 $R7 + 1
  ${Loop}
!macroend

; Registers the logon task "ZenithFence" (replacing an earlier one). $0 = schtasks' exit code.
!macro zfCreateLogonTask
  !insertmacro zfXmlEscape "$INSTDIR\${APP_EXECUTABLE_FILENAME}"
  InitPluginsDir
  StrCpy $2 "$PLUGINSDIR\zenithfence-logon-task.xml"
  ClearErrors
  FileOpen $1 $2 w
  ${If} ${Errors}
    StrCpy $0 "error (could not write $2)"
  ${Else}
    ; schtasks reads the definition as UTF-16 with a byte order mark.
    FileWriteWord $1 0xFEFF
    FileWriteUTF16LE $1 `<?xml version="1.0" encoding="UTF-16"?>$\r$\n`
    FileWriteUTF16LE $1 `<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">$\r$\n`
    FileWriteUTF16LE $1 `  <RegistrationInfo><Description>Starts ZenithFence with administrator rights at logon (Windows does not start elevated programs from the Run key).</Description></RegistrationInfo>$\r$\n`
    FileWriteUTF16LE $1 `  <Triggers><LogonTrigger><Enabled>true</Enabled></LogonTrigger></Triggers>$\r$\n`
    ; Every member of Users, in their own session; administrators get their full token without a
    ; UAC prompt, other users a normal one (the app then says that it needs an administrator).
    FileWriteUTF16LE $1 `  <Principals><Principal id="LogonUser"><GroupId>S-1-5-32-545</GroupId><RunLevel>HighestAvailable</RunLevel></Principal></Principals>$\r$\n`
    FileWriteUTF16LE $1 `  <Settings><MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy><DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries><StopIfGoingOnBatteries>false</StopIfGoingOnBatteries><ExecutionTimeLimit>PT0S</ExecutionTimeLimit><Priority>4</Priority><AllowStartOnDemand>true</AllowStartOnDemand><Enabled>true</Enabled></Settings>$\r$\n`
    FileWriteUTF16LE $1 `  <Actions Context="LogonUser"><Exec><Command>"$R9"</Command><Arguments>--started-at-login</Arguments></Exec></Actions>$\r$\n`
    FileWriteUTF16LE $1 `</Task>$\r$\n`
    FileClose $1
    !insertmacro zfExec `"$SYSDIR\schtasks.exe" /Create /TN "${ZF_TASK}" /XML "$2" /F`
    Delete $2
  ${EndIf}
!macroend

!macro customInit
  ${IfNot} ${RunningX64}
  ${OrIfNot} ${AtLeastBuild} ${ZF_MIN_BUILD}
    MessageBox MB_ICONSTOP|MB_OK "ZenithFence needs 64-bit Windows 10 version 2004 (build 19041) or later: its driver uses kernel functions that older versions of Windows do not have." /SD IDOK
    SetErrorLevel 1
    Quit
  ${EndIf}
!macroend

; Undoes what customInstall did so far, newest first (the variables say which steps ran).
!macro zfRollBack
  DetailPrint "ZenithFence: rolling back: $zfError"
  ${If} $zfTaskCreated == 1
  ${AndIf} $zfHadService == 0
    !insertmacro zfExec `"$SYSDIR\schtasks.exe" /Delete /TN "${ZF_TASK}" /F`
  ${EndIf}
  ${If} $zfCopied == 1
    !insertmacro zfStopService
  ${EndIf}
  ${If} $zfCreated == 1
    !insertmacro zfExec `"$SYSDIR\sc.exe" delete ${ZF_SERVICE}`
  ${EndIf}
  ${If} $zfCopied == 1
    Delete /REBOOTOK "$SYSDIR\drivers\${ZF_DRIVER_FILE}"
  ${EndIf}
  ${If} $zfBackedUp == 1
    Rename /REBOOTOK "$SYSDIR\drivers\${ZF_DRIVER_FILE}.previous" "$SYSDIR\drivers\${ZF_DRIVER_FILE}"
  ${EndIf}
  ${If} $zfHadService == 1
    ; An update: the previous version's driver runs again (its app files were already replaced).
    !insertmacro zfExec `"$SYSDIR\sc.exe" start ${ZF_SERVICE}`
    StrCpy $zfError "$zfError$\r$\n$\r$\nThe previous ZenithFence driver was restored. Install ZenithFence again once the problem is solved."
  ${Else}
    ; A first installation: take the app's files away again with the uninstaller just written.
    ExecWait `"$INSTDIR\${UNINSTALL_FILENAME}" /S /allusers _?=$INSTDIR`
    Delete "$INSTDIR\${UNINSTALL_FILENAME}"
    RMDir "$INSTDIR"
    StrCpy $zfError "$zfError$\r$\n$\r$\nZenithFence was not installed; nothing was left behind."
  ${EndIf}
!macroend

; Saves and restores the registers the macros above use (electron-builder's own code around the
; custom macros keeps its state in them too).
!macro zfSaveRegisters
  Push $0
  Push $1
  Push $2
  Push $3
  Push $4
  Push $R5
  Push $R6
  Push $R7
  Push $R8
  Push $R9
!macroend
!macro zfRestoreRegisters
  Pop $R9
  Pop $R8
  Pop $R7
  Pop $R6
  Pop $R5
  Pop $4
  Pop $3
  Pop $2
  Pop $1
  Pop $0
!macroend

!macro customInstall
  Var /GLOBAL zfError
  Var /GLOBAL zfHadService
  Var /GLOBAL zfBackedUp
  Var /GLOBAL zfCopied
  Var /GLOBAL zfCreated
  Var /GLOBAL zfTaskCreated
  StrCpy $zfError ""
  StrCpy $zfHadService 0
  StrCpy $zfBackedUp 0
  StrCpy $zfCopied 0
  StrCpy $zfCreated 0
  StrCpy $zfTaskCreated 0
  !insertmacro zfSaveRegisters
  ${DisableX64FSRedirection}

  ; 1. The driver must be in the package (electron-builder.yml, win.extraResources).
  ${IfNot} ${FileExists} "$INSTDIR\resources\driver\${ZF_DRIVER_FILE}"
    StrCpy $zfError "This installer does not contain the ZenithFence driver ($INSTDIR\resources\driver\${ZF_DRIVER_FILE} is missing)."
  ${EndIf}

  ; 2. An installed driver (an update or a repair) is stopped; the installer has closed the app.
  ;    First the RemoveGuard value an unfinished uninstall may have left goes: with it, this stop
  ;    (and any later one) would take the user's boot guard away.
  ${If} $zfError == ""
    DeleteRegValue HKLM "${ZF_PARAMETERS_KEY}" "${ZF_REMOVE_GUARD_VALUE}"
    nsExec::Exec `"$SYSDIR\sc.exe" query ${ZF_SERVICE}`
    Pop $0
    ${If} $0 == 0
      StrCpy $zfHadService 1
      !insertmacro zfStopService
      ${If} $0 != 0
        ; Still loaded: the new file goes in beside it and Windows loads it at the next start.
        SetRebootFlag true
      ${EndIf}
    ${EndIf}
  ${EndIf}

  ; 3. The previous driver file is kept until the end, for a rollback.
  ${If} $zfError == ""
  ${AndIf} ${FileExists} "$SYSDIR\drivers\${ZF_DRIVER_FILE}"
    Delete "$SYSDIR\drivers\${ZF_DRIVER_FILE}.previous"
    ClearErrors
    Rename "$SYSDIR\drivers\${ZF_DRIVER_FILE}" "$SYSDIR\drivers\${ZF_DRIVER_FILE}.previous"
    ${If} ${Errors}
      StrCpy $zfError "Could not replace $SYSDIR\drivers\${ZF_DRIVER_FILE}, which is in use. Restart Windows, then run this installer again."
    ${Else}
      StrCpy $zfBackedUp 1
    ${EndIf}
  ${EndIf}

  ; 4. The driver goes where its INF puts it (DestinationDirs 12 = System32\drivers).
  ${If} $zfError == ""
    ClearErrors
    CopyFiles /SILENT "$INSTDIR\resources\driver\${ZF_DRIVER_FILE}" "$SYSDIR\drivers\${ZF_DRIVER_FILE}"
    ${If} ${Errors}
      StrCpy $zfError "Could not copy the ZenithFence driver to $SYSDIR\drivers."
    ${Else}
      StrCpy $zfCopied 1
    ${EndIf}
  ${EndIf}

  ; 5. The service of the INF's ZenithFence.Service section (sc needs the space after "="): started
  ;    at boot once BFE runs, so the stored policy applies before anyone logs in (an update turns
  ;    an older demand-start service into this too).
  ${If} $zfError == ""
    ${If} $zfHadService == 1
      !insertmacro zfExec `"$SYSDIR\sc.exe" config ${ZF_SERVICE} type= kernel start= auto error= normal depend= BFE binPath= "${ZF_IMAGE_PATH}" DisplayName= "${ZF_SERVICE}"`
    ${Else}
      !insertmacro zfExec `"$SYSDIR\sc.exe" create ${ZF_SERVICE} type= kernel start= auto error= normal depend= BFE binPath= "${ZF_IMAGE_PATH}" DisplayName= "${ZF_SERVICE}"`
      ${If} $0 == 0
        StrCpy $zfCreated 1
      ${EndIf}
    ${EndIf}
    ${If} $0 != 0
      StrCpy $zfError "Windows could not register the ZenithFence driver service (sc.exe exit code $0)."
    ${Else}
      !insertmacro zfExec `"$SYSDIR\sc.exe" description ${ZF_SERVICE} "ZenithFence application firewall WFP callout driver"`
    ${EndIf}
  ${EndIf}

  ; 6. Start it now (the app starts it again whenever it is stopped).
  ${If} $zfError == ""
    !insertmacro zfExec `"$SYSDIR\sc.exe" start ${ZF_SERVICE}`
    ${If} $0 == ${ZF_ERROR_SERVICE_ALREADY_RUNNING}
      ; The previous driver could not be stopped: the new one loads after a restart.
      SetRebootFlag true
    ${ElseIf} $0 == ${ZF_ERROR_INVALID_IMAGE_HASH}
      StrCpy $zfError "Windows refused to load the ZenithFence driver because its signature is not trusted (error 577). Release builds are signed by Microsoft; a test-signed build needs test signing (bcdedit /set testsigning on)."
    ${ElseIf} $0 == ${ZF_ERROR_DRIVER_BLOCKED}
      StrCpy $zfError "Windows blocked the ZenithFence driver (error 1275), for example through its vulnerable driver block list."
    ${ElseIf} $0 != 0
      StrCpy $zfError "The ZenithFence driver did not start (sc.exe exit code $0). The System event log (source Service Control Manager) says why."
    ${EndIf}
  ${EndIf}

  ; 7. Start at logon.
  ${If} $zfError == ""
    !insertmacro zfCreateLogonTask
    ${If} $0 == 0
      StrCpy $zfTaskCreated 1
    ${Else}
      StrCpy $zfError "Could not create the logon task that starts ZenithFence (schtasks.exe exit code $0)."
    ${EndIf}
  ${EndIf}

  ${If} $zfError == ""
    ${If} $zfBackedUp == 1
      Delete /REBOOTOK "$SYSDIR\drivers\${ZF_DRIVER_FILE}.previous"
    ${EndIf}
    ${EnableX64FSRedirection}
    !insertmacro zfRestoreRegisters
  ${Else}
    !insertmacro zfRollBack
    ${EnableX64FSRedirection}
    MessageBox MB_ICONSTOP|MB_OK "$zfError" /SD IDOK
    SetErrorLevel 2
    Abort "$zfError"
  ${EndIf}
!macroend

!macro customUnInstall
  ${IfNot} ${isUpdated}
    !insertmacro zfSaveRegisters
    ${DisableX64FSRedirection}
    !insertmacro zfExec `"$SYSDIR\schtasks.exe" /Delete /TN "${ZF_TASK}" /F`
    ; The boot guard goes before the service (see the top of this file).
    nsExec::Exec `"$SYSDIR\sc.exe" query ${ZF_SERVICE}`
    Pop $0
    ${If} $0 == 0
      ; 1. Its unload removes the guard, and unload only runs for a loaded driver.
      !insertmacro zfExec `"$SYSDIR\sc.exe" start ${ZF_SERVICE}`
      ${If} $0 != 0
      ${AndIf} $0 != ${ZF_ERROR_SERVICE_ALREADY_RUNNING}
        DetailPrint "ZenithFence: the driver did not start; the uninstaller removes the boot guard itself."
      ${EndIf}
      ; 2. Asks the unload to remove it.
      ClearErrors
      WriteRegDWORD HKLM "${ZF_PARAMETERS_KEY}" "${ZF_REMOVE_GUARD_VALUE}" 1
      ${If} ${Errors}
        DetailPrint "ZenithFence: could not set ${ZF_REMOVE_GUARD_VALUE}; the uninstaller removes the boot guard itself."
      ${EndIf}
    ${EndIf}
    ; 3. Unload.
    !insertmacro zfStopService
    ${If} $0 != 0
      ; sc delete below still marks it; Windows removes it at the next start.
      DetailPrint "ZenithFence: the driver did not stop; it is removed at the next restart."
      SetRebootFlag true
    ${EndIf}
    ; 4. The same keys, deleted here whatever the driver could do.
    !insertmacro zfRemoveBootGuard
    ${If} $4 != 0
      MessageBox MB_ICONEXCLAMATION|MB_OK "ZenithFence could not remove its boot-time network block (WFP filters in the sublayer ${ZF_GUARD_SUBLAYER}). While they remain, Windows lets only loopback and DHCP through. Install ZenithFence again and uninstall it once more; the uninstall log lists what failed." /SD IDOK
    ${EndIf}
    !insertmacro zfExec `"$SYSDIR\sc.exe" delete ${ZF_SERVICE}`
    Delete /REBOOTOK "$SYSDIR\drivers\${ZF_DRIVER_FILE}"
    Delete /REBOOTOK "$SYSDIR\drivers\${ZF_DRIVER_FILE}.previous"
    ${EnableX64FSRedirection}
    !insertmacro zfRestoreRegisters
  ${EndIf}
!macroend
