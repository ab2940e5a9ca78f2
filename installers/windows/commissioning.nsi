; The Windows installer: a per-user install that needs no administrator rights.
;
;   makensis /DVERSION=X.Y.Z /DPAYLOAD=dist\commissioning /DICON=build\icons\commissioning.ico
;            /DOUTFILE=dist\commissioning-X.Y.Z-windows-setup.exe installers\windows\commissioning.nsi
;
; VERSION comes from pyproject.toml through the build script (the version lives only there);
; PAYLOAD is PyInstaller's one-folder bundle. It installs into %LOCALAPPDATA%\Programs (as
; VS Code and Teams do), adds a Start menu shortcut, and registers its uninstaller under
; HKCU so that "Installed apps" lists it. The user's data (in %LOCALAPPDATA%\commissioning)
; is never touched by installing, upgrading or uninstalling.

Unicode true

!ifndef VERSION
  !error "Give the version: makensis /DVERSION=x.y.z (the build script reads pyproject.toml)"
!endif
!ifndef PAYLOAD
  !error "Give the bundle: makensis /DPAYLOAD=dist\commissioning"
!endif
!ifndef ICON
  !error "Give the icon: makensis /DICON=build\icons\commissioning.ico"
!endif
!ifndef OUTFILE
  !define OUTFILE "commissioning-${VERSION}-windows-setup.exe"
!endif
; Windows wants four numbers in a file's version; the build script passes them.
!ifndef VERSION_QUAD
  !define VERSION_QUAD "${VERSION}.0"
!endif
; A quick build (only to prove the script compiles) can turn compression off.
!ifdef NO_COMPRESSION
  SetCompress off
!else
  SetCompressor /SOLID lzma
!endif

!define TITLE "Specialised Commissioning"
!define PROGRAM "commissioning.exe"
!define PUBLISHER "The commissioning product team"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\commissioning"

!include "MUI2.nsh"
!include "FileFunc.nsh"

Name "${TITLE}"
OutFile "${OUTFILE}"
RequestExecutionLevel user
InstallDir "$LOCALAPPDATA\Programs\${TITLE}"
InstallDirRegKey HKCU "${UNINSTALL_KEY}" "InstallLocation"
BrandingText "${TITLE} ${VERSION}"

VIProductVersion "${VERSION_QUAD}"
VIAddVersionKey /LANG=1033 "ProductName" "${TITLE}"
VIAddVersionKey /LANG=1033 "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=1033 "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=1033 "FileDescription" "${TITLE} installer"
VIAddVersionKey /LANG=1033 "CompanyName" "${PUBLISHER}"
VIAddVersionKey /LANG=1033 "LegalCopyright" "MIT licence"

!define MUI_ICON "${ICON}"
!define MUI_UNICON "${ICON}"
!define MUI_ABORTWARNING
!define MUI_FINISHPAGE_RUN "$INSTDIR\${PROGRAM}"
!define MUI_FINISHPAGE_RUN_TEXT "Start ${TITLE}"

!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

Section "${TITLE}" SectionProgram
  SectionIn RO
  ; An upgrade replaces the program's own files; anything else in the folder stays.
  RMDir /r "$INSTDIR\_internal"
  SetOutPath "$INSTDIR"
  File /r "${PAYLOAD}\*.*"
  File "/oname=commissioning.ico" "${ICON}"
  WriteUninstaller "$INSTDIR\uninstall.exe"

  CreateShortcut "$SMPROGRAMS\${TITLE}.lnk" "$INSTDIR\${PROGRAM}" "" "$INSTDIR\commissioning.ico" 0 \
    SW_SHOWNORMAL "" "Commissioning of specialised health services"

  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayName" "${TITLE}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\commissioning.ico"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKCU "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "EstimatedSize" $0
SectionEnd

Section "Uninstall"
  Delete "$SMPROGRAMS\${TITLE}.lnk"
  ; Only what the installer put there: a portable data folder beside it would survive.
  RMDir /r "$INSTDIR\_internal"
  Delete "$INSTDIR\commissioning.exe"
  Delete "$INSTDIR\commissioning-cli.exe"
  Delete "$INSTDIR\commissioning.ico"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  DeleteRegKey HKCU "${UNINSTALL_KEY}"
SectionEnd
