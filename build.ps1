#!/usr/bin/env pwsh
# A thin wrapper over dotnet; every piece of logic lives in MSBuild (src/OpenPipe.CodeGen/OpenPipe.CodeGen.targets),
# so Linux users and CI run the same dotnet commands without PowerShell.
#   ./build.ps1 regenerate | build | test | pack | all
param([ValidateSet('regenerate', 'build', 'test', 'pack', 'all')][string]$Target = 'all')
$ErrorActionPreference = 'Stop'
Set-Location $PSScriptRoot

function Invoke-Dotnet { & dotnet @args; if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE } }

if ($Target -eq 'regenerate') { Invoke-Dotnet msbuild src/OpenPipe.Client -t:OpenPipeRegenerate }
if ($Target -in 'build', 'all') { Invoke-Dotnet build OpenPipe.Generated.sln -c Release }
if ($Target -in 'test', 'all') { Invoke-Dotnet test OpenPipe.Generated.sln -c Release }
if ($Target -in 'pack', 'all') { Invoke-Dotnet pack OpenPipe.Generated.sln -c Release -o artifacts/packages }
