; driver.nsh: electron-builder's `nsis.include` for ZenithFence (resources/README.md, "Windows").
;
; customInit       refuses anything but 64-bit Windows 10 version 2004 (build 19041) or later: the
;                  driver allocates with ExAllocatePool2 (driver/windows/README.md).
; customInstall    runs after the app's files are in place: installs the WFP callout driver as the
;                  kernel service "ZenithFence" and starts it, then registers the logon task that
;                  starts the app with administrator rights at every logon. On any failure it shows
;                  why, undoes every step it made, and aborts the installation.
; customUnInstall  on a real uninstall: removes the logon task, stops and deletes the service and
;                  the driver file. Not on an update: electron-builder runs the old version's
;                  uninstaller with --updated (${isUpdated}) before it installs the new files, and the
;                  new installer's customInstall then replaces the driver in place.
;
; Why sc.exe and not pnputil: the driver is a legacy (non-PnP) WDM driver. ZenithFence.inf has only
; DefaultInstall sections and says that pnputil is not used for it; the app itself creates and starts
; the service through the service control manager (native/src/windows/service-control.ts). The
; installer does what the INF describes: ZenithFence.sys to System32\drivers (DestinationDirs 12), a
; demand-start kernel service named ZenithFence with normal error control.
;
; Why a logon task and not the Run key: the app must run elevated (the device admits only SYSTEM and
; Administrators), and Windows does not start elevated programs from the Run key or the Startup
; folder. The task is the XML form of `schtasks /Create /SC ONLOGON /RL HIGHEST`, plus what schtasks
; cannot set: any user's logon, no 72-hour run limit, runs on battery.
;
; The installer is a 32-bit process: file system redirection is off while it touches System32.
; Everything here is plain ASCII (makensis reads includes in the system code page).

!include LogicLib.nsh
!include x64.nsh
!include WinVer.nsh

!define ZF_SERVICE "ZenithFence"
!define ZF_DRIVER_FILE "ZenithFence.sys"
!define ZF_IMAGE_PATH "\SystemRoot\System32\drivers\ZenithFence.sys"
!define ZF_TASK "ZenithFence"
!define ZF_MIN_BUILD 19041
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
  ${If} $zfError == ""
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

  ; 5. The service of the INF's ZenithFence.Service section (sc needs the space after "=").
  ${If} $zfError == ""
    ${If} $zfHadService == 1
      !insertmacro zfExec `"$SYSDIR\sc.exe" config ${ZF_SERVICE} type= kernel start= demand error= normal binPath= "${ZF_IMAGE_PATH}" DisplayName= "${ZF_SERVICE}"`
    ${Else}
      !insertmacro zfExec `"$SYSDIR\sc.exe" create ${ZF_SERVICE} type= kernel start= demand error= normal binPath= "${ZF_IMAGE_PATH}" DisplayName= "${ZF_SERVICE}"`
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
    !insertmacro zfStopService
    ${If} $0 != 0
      ; sc delete below still marks it; Windows removes it at the next start.
      DetailPrint "ZenithFence: the driver did not stop; it is removed at the next restart."
      SetRebootFlag true
    ${EndIf}
    !insertmacro zfExec `"$SYSDIR\sc.exe" delete ${ZF_SERVICE}`
    Delete /REBOOTOK "$SYSDIR\drivers\${ZF_DRIVER_FILE}"
    Delete /REBOOTOK "$SYSDIR\drivers\${ZF_DRIVER_FILE}.previous"
    ${EnableX64FSRedirection}
    !insertmacro zfRestoreRegisters
  ${EndIf}
!macroend
