#Requires -Version 7.4
<#
.SYNOPSIS
    Scheduled retention for the MonarchLogs store: trims what is older than its retention period.
.DESCRIPTION
    Run once a day by a scheduler (cron, a systemd timer, the retention job in compose.yaml).
    Connects as the maintainer user with a password the scheduler provides, never one stored
    in the script or in an Export-Clixml file (which keeps it in plain text on Linux):
      MONARCHLOGS_PASSWORD_FILE  a file readable by its owner only (a compose or systemd secret,
                                 a root-only file); refused when others may read it
      MONARCHLOGS_PASSWORD       or the password itself, for schedulers that inject variables
      MONARCHLOGS_USER           the ACL user (monarch-maintainer by default)
      MONARCHLOGS_CONNECTION     the server (host:port,ssl=true,...; localhost:6379 by default)
    Exits non-zero when anything failed, so the scheduler and its alerting see it.
.EXAMPLE
    MONARCHLOGS_PASSWORD_FILE=/etc/monarch/maintainer.password pwsh -NoProfile -File retention.ps1
#>
[CmdletBinding()]
param(
    # Days to keep every level.
    [ValidateRange(1, 3650)]
    [int] $RetentionDays = 30,

    # Shorter periods for chatty levels.
    [hashtable] $LevelRetentionDays = @{ Trace = 3; Debug = 3 },

    # When set, each day is archived there (gzip JSON Lines) before it is removed.
    [string] $ArchivePath
)

$ErrorActionPreference = 'Stop'
Import-Module MonarchLogs

function Get-SchedulerPassword {
    if ($env:MONARCHLOGS_PASSWORD_FILE) {
        $file = Get-Item -LiteralPath $env:MONARCHLOGS_PASSWORD_FILE
        $othersMay = [System.IO.UnixFileMode]'GroupRead, GroupWrite, OtherRead, OtherWrite'
        if (-not $IsWindows -and ($file.UnixFileMode -band $othersMay)) {
            throw "The password file $($file.FullName) may be read by others ($($file.UnixFileMode)); make it owner-only: chmod 600."
        }
        return (Get-Content -LiteralPath $file.FullName -Raw).TrimEnd("`r", "`n")
    }
    if ($env:MONARCHLOGS_PASSWORD) { return $env:MONARCHLOGS_PASSWORD }
    throw 'No password: set MONARCHLOGS_PASSWORD_FILE (an owner-only file) or MONARCHLOGS_PASSWORD.'
}

$user = if ($env:MONARCHLOGS_USER) { $env:MONARCHLOGS_USER } else { 'monarch-maintainer' }
$credential = [pscredential]::new($user, (ConvertTo-SecureString (Get-SchedulerPassword) -AsPlainText -Force))
Connect-MonarchLog -Credential $credential | Out-Null

$archive = if ($ArchivePath) { @{ ArchivePath = $ArchivePath } } else { @{} }
foreach ($level in $LevelRetentionDays.Keys) {
    Remove-ExpiredMonarchLog -Level $level -RetentionDays $LevelRetentionDays[$level] @archive | Format-List | Out-String | Write-Host
}
Remove-ExpiredMonarchLog -RetentionDays $RetentionDays @archive | Format-List | Out-String | Write-Host
