; The makensis harness for driver.nsh (resources/installer/windows/driver-nsh.test.ts).
;
; electron-builder compiles its installer script twice: once with BUILD_UNINSTALLER defined (it only
; writes the uninstaller) and once for the installer, both with -WX (warnings are errors), and with
; the nsis.include file at the top of each. This harness does the same, with electron-builder's
; insertion points: customInit in .onInit, customInstall after the files are copied,
; customUnInstall in the uninstall section. What electron-builder's own templates and its NSIS
; resources define is stood in for below; nothing else of electron-builder is compiled here (its
; templates need plugins that Debian's nsis does not ship).
;
;   makensis -WX -DZF_INCLUDE=driver.nsh -DZF_OUTFILE=out.exe [-DBUILD_UNINSTALLER] harness.nsi

Unicode true
!ifndef ZF_INCLUDE
  !error "Define ZF_INCLUDE, the include under test."
!endif
!ifndef ZF_OUTFILE
  !error "Define ZF_OUTFILE, where the harness installer goes."
!endif

; From electron-builder's common.nsh.
!define PRODUCT_NAME "ZenithFence"
!define PRODUCT_FILENAME "ZenithFence"
!define APP_EXECUTABLE_FILENAME "${PRODUCT_FILENAME}.exe"
!define UNINSTALL_FILENAME "Uninstall ${PRODUCT_FILENAME}.exe"

!include LogicLib.nsh
!include FileFunc.nsh

; Stand-in for ${isUpdated} from electron-builder's NSIS resources: true when the command line
; has --updated.
!macro _zfHarnessIsUpdated _a _b _t _f
  !insertmacro _LOGICLIB_TEMP
  ${GetParameters} $_LOGICLIB_TEMP
  ClearErrors
  ${GetOptions} $_LOGICLIB_TEMP "--updated" $_LOGICLIB_TEMP
  IfErrors `${_f}` `${_t}`
!macroend
!define isUpdated `"" zfHarnessIsUpdated ""`

!include "${ZF_INCLUDE}"
!ifmacrondef customInit
  !error "The include defines no customInit macro."
!endif
!ifmacrondef customInstall
  !error "The include defines no customInstall macro."
!endif
!ifmacrondef customUnInstall
  !error "The include defines no customUnInstall macro."
!endif

Name "${PRODUCT_NAME}"
OutFile "${ZF_OUTFILE}"
RequestExecutionLevel admin
InstallDir "$PROGRAMFILES64\${PRODUCT_FILENAME}"

!ifdef BUILD_UNINSTALLER
  Function .onInit
    WriteUninstaller "$EXEDIR\${UNINSTALL_FILENAME}"
    Quit
  FunctionEnd

  Section "install"
  SectionEnd

  Section "un.Uninstall"
    !insertmacro customUnInstall
  SectionEnd
!else
  Function .onInit
    !insertmacro customInit
  FunctionEnd

  Section "install"
    SetOutPath $INSTDIR
    InitPluginsDir
    ; (electron-builder extracts the app and writes the uninstaller here)
    !insertmacro customInstall
  SectionEnd
!endif
