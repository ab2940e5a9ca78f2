# Windows: build the one-folder bundle, smoke-test it, and make the installer with NSIS.
# Run from the project folder after `pip install -e ".[test,build]"` into .venv.
$ErrorActionPreference = "Stop"
$PSNativeCommandUseErrorActionPreference = $true

$root = (Resolve-Path "$PSScriptRoot\..\..").Path
Set-Location $root
$python = "$root\.venv\Scripts\python.exe"
$version = & $python -c "import tomllib; print(tomllib.load(open('pyproject.toml', 'rb'))['project']['version'])"

& "$root\.venv\Scripts\pyinstaller.exe" --noconfirm --clean --distpath dist `
    --workpath build\pyinstaller installers\commissioning.spec

# Smoke test, headless, in a folder of its own.
$env:QT_QPA_PLATFORM = "offscreen"
$scratch = Join-Path $env:RUNNER_TEMP ("commissioning-" + [guid]::NewGuid())
New-Item -ItemType Directory $scratch | Out-Null
$env:COMMISSIONING_CONFIG_DIR = "$scratch\config"
$env:COMMISSIONING_DATA_DIR = "$scratch\data"
$cli = "$root\dist\commissioning\commissioning-cli.exe"
$said = & $cli --version
if ($said -ne "commissioning $version") { throw "--version said '$said'" }
& $cli init --demo --db "$scratch\demo.sqlite"
& $cli check --db "$scratch\demo.sqlite"
& $cli nds list --db "$scratch\demo.sqlite" --out "$scratch\nds.pdf"
$head = [System.Text.Encoding]::ASCII.GetString([System.IO.File]::ReadAllBytes("$scratch\nds.pdf")[0..4])
if ($head -ne "%PDF-") { throw "nds.pdf is not a PDF" }
$env:COMMISSIONING_MEASURE_STARTUP = "1"
& $cli --db "$scratch\demo.sqlite"
Remove-Item Env:\COMMISSIONING_MEASURE_STARTUP

# The installer. NSIS is on GitHub's Windows images; elsewhere Chocolatey brings it.
$makensis = (Get-Command makensis -ErrorAction SilentlyContinue)?.Source
if (-not $makensis) { $makensis = "${env:ProgramFiles(x86)}\NSIS\makensis.exe" }
if (-not (Test-Path $makensis)) {
    choco install nsis -y --no-progress
    $makensis = "${env:ProgramFiles(x86)}\NSIS\makensis.exe"
}
& $makensis /WX /V2 "/DVERSION=$version" "/DVERSION_QUAD=$version.0" `
    "/DPAYLOAD=$root\dist\commissioning" "/DICON=$root\build\icons\commissioning.ico" `
    "/DOUTFILE=$root\dist\commissioning-$version-windows-setup.exe" `
    installers\windows\commissioning.nsi
Write-Output "Made dist\commissioning-$version-windows-setup.exe"
