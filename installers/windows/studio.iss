; Inno Setup 6 script: the Studio installer for Windows, compiled by `python installers/build.py windows`
; (ISCC /DAppVersion=... /DSourceDir=<the frozen Studio folder, payload inside> /DOutputDir=dist
; /DIconFile=studio.ico). Per user (no administrator rights): installs under %LOCALAPPDATA%\Programs\Studio.
;
; What it registers, all under HKCU\Software\Classes (removed by the uninstaller):
; - .otio files open in Studio on a double-click (Studio.otio, "OpenTimelineIO timeline").
; - A folder whose name ends in .studio (a project) gets "Open in Studio" on its right-click menu: a
;   shell verb on Directory limited by AppliesTo to names ending in .studio. A double-click on a folder
;   still opens it in Explorer: Windows associates file extensions, not folders, and taking over
;   project.json would catch every .json file, so the verb is what works. (Not tried on Windows yet:
;   the AppliesTo filter is Advanced Query Syntax as Microsoft documents it for static verbs.)
; The uninstaller first runs `Studio.exe --uninstall` (the environment, the launcher's cache and state;
; projects, models and settings are kept), then removes the program files.

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#ifndef SourceDir
  #define SourceDir "..\..\build\installer\frozen\Studio"
#endif
#ifndef OutputDir
  #define OutputDir "..\..\dist"
#endif
#ifndef IconFile
  #define IconFile "..\..\build\installer\studio.ico"
#endif

[Setup]
AppId={{6B1E3C52-8F0A-4D7B-9C1E-5A2F7D3B9E41}
AppName=Studio
AppVersion={#AppVersion}
AppPublisher=Studio
DefaultDirName={localappdata}\Programs\Studio
DefaultGroupName=Studio
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
ChangesAssociations=yes
OutputDir={#OutputDir}
OutputBaseFilename=Studio-{#AppVersion}-windows-x86_64-setup
SetupIconFile={#IconFile}
UninstallDisplayIcon={app}\Studio.exe
Compression=lzma2
SolidCompression=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
WizardStyle=modern

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\Studio"; Filename: "{app}\Studio.exe"
Name: "{autodesktop}\Studio"; Filename: "{app}\Studio.exe"; Tasks: desktopicon

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Registry]
Root: HKCU; Subkey: "Software\Classes\.otio"; ValueType: string; ValueName: ""; ValueData: "Studio.otio"; Flags: uninsdeletevalue
Root: HKCU; Subkey: "Software\Classes\Studio.otio"; ValueType: string; ValueName: ""; ValueData: "OpenTimelineIO timeline"; Flags: uninsdeletekey
Root: HKCU; Subkey: "Software\Classes\Studio.otio\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: "{app}\Studio.exe,0"
Root: HKCU; Subkey: "Software\Classes\Studio.otio\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\Studio.exe"" ""%1"""
Root: HKCU; Subkey: "Software\Classes\Directory\shell\Studio.open"; ValueType: string; ValueName: ""; ValueData: "Open in Studio"; Flags: uninsdeletekey
Root: HKCU; Subkey: "Software\Classes\Directory\shell\Studio.open"; ValueType: string; ValueName: "AppliesTo"; ValueData: "System.FileName:""*.studio"""
Root: HKCU; Subkey: "Software\Classes\Directory\shell\Studio.open"; ValueType: string; ValueName: "Icon"; ValueData: "{app}\Studio.exe,0"
Root: HKCU; Subkey: "Software\Classes\Directory\shell\Studio.open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\Studio.exe"" ""%1"""

[Run]
Filename: "{app}\Studio.exe"; Description: "Start Studio (the first start sets up its environment)"; Flags: nowait postinstall skipifsilent

[UninstallRun]
Filename: "{app}\Studio.exe"; Parameters: "--uninstall"; RunOnceId: "StudioUninstall"; Flags: runhidden waituntilterminated
