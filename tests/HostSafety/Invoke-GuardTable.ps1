# Runs every cmdlet with every kind of dangerous input, inside the private mount namespace that
# HostSafety.Tests.ps1 starts (unshare --mount --propagation private), after laying overlays over
# the host's system directories: if a regression let a cmdlet write, the write lands in an overlay
# upper directory of this namespace, never on the host. Writes one JSON result for the Pester file:
# each case's ErrorId (real run and -WhatIf), the overlay upper directories' changes and the
# namespace's mount table before and after.
param(
    [Parameter(Mandatory)] [string] $WorkDir,
    [Parameter(Mandatory)] [string] $ResultPath
)
$ErrorActionPreference = 'Stop'
if ((& readlink /proc/self/ns/mnt) -eq (& readlink /proc/1/ns/mnt)) { throw 'Refusing to run outside a private mount namespace.' }

# Overlays over every system directory and data home that is a real directory (not /tmp, where
# the work directory and the uppers live; not /proc or /sys, which cannot be overlaid and are
# covered by the mount-table comparison).
$overlaid = @()
foreach ($d in '/etc', '/var', '/usr', '/boot', '/run', '/dev', '/root', '/home', '/opt', '/srv', '/mnt', '/media', '/bin', '/sbin', '/lib', '/lib64') {
    if (-not (Test-Path -LiteralPath $d -PathType Container) -or (Get-Item -LiteralPath $d -Force).LinkType) { continue }
    $name = $d.Trim('/')
    $upper = Join-Path $WorkDir "ovl/$name/upper"; $work = Join-Path $WorkDir "ovl/$name/work"
    New-Item -ItemType Directory -Path $upper, $work -Force | Out-Null
    & mount -t overlay "gi-guard-$name" -o "lowerdir=$d,upperdir=$upper,workdir=$work" $d
    if ($LASTEXITCODE) { throw "Cannot lay an overlay over $d." }
    $overlaid += [pscustomobject]@{ Dir = $d; Upper = $upper }
}

. (Join-Path $PSScriptRoot '../Common.ps1')

function Get-UpperState {
    foreach ($o in $overlaid) {
        Get-ChildItem -LiteralPath $o.Upper -Recurse -Force -ErrorAction SilentlyContinue |
            ForEach-Object {
                # Files with size and time; directories by name only (a lock file made and removed
                # in the module's lock directory changes its time, and nothing else).
                $p = "$($o.Dir)$($_.FullName.Substring($o.Upper.Length))"
                if ($_.PSIsContainer) { "$p/" } else { "$p $($_.Length) $($_.LastWriteTimeUtc.Ticks)" }
            }
    }
}
function Get-MountKeys { [GentooImage.Engine.Platform.MountTable]::Read() | ForEach-Object Key | Sort-Object }

# Inputs: a real fixture root, a plain directory, a parent of two roots, a symlink to /, a block
# device node that is no disk, an existing log, a non-kernel config.
$root = [GentooImage.TestSupport.FixtureRoot]::Create((Join-Path $WorkDir 'root'))
$plain = Join-Path $WorkDir 'plain'; New-Item -ItemType Directory $plain | Out-Null; Set-Content (Join-Path $plain 'notes.txt') 'mine'
$parent = Join-Path $WorkDir 'parent'
foreach ($r in 'a', 'b') { [GentooImage.TestSupport.FixtureRoot]::Create((Join-Path $parent $r)) | Out-Null }
$toRoot = Join-Path $WorkDir 'host'; New-Item -ItemType SymbolicLink -Path $toRoot -Target / | Out-Null
$node = Join-Path $WorkDir 'disk'; & mknod $node b 7 250
$log = Join-Path $WorkDir 'build.log'; Set-Content $log 'keep me'
$passwd = Join-Path $WorkDir 'passwd'; Copy-Item /etc/passwd $passwd
$stage3 = Join-Path $WorkDir 'stage3.tar.xz'; Set-Content $stage3 'not read: the path is refused first'
$image = Join-Path $WorkDir 'out.img'
# An image to test (never booted: every -SerialLogPath below is refused first), a symlink to it,
# and another system's root file system (os-release, an init, a user's data; no GentooImage state).
$tested = Join-Path $WorkDir 'tested.img'; [IO.File]::WriteAllBytes($tested, [byte[]]::new(1MB))
$testedAlias = Join-Path $WorkDir 'tested-alias.log'; New-Item -ItemType SymbolicLink -Path $testedAlias -Target $tested | Out-Null
$foreign = Join-Path $WorkDir 'foreign'
foreach ($f in 'etc/os-release', 'sbin/init', 'home/u/data') { New-Item -ItemType File -Force (Join-Path $foreign $f) -Value 'years of work' | Out-Null }

# Warm up (module, runspace caches; the module's lock directory, its one legitimate host
# directory), then take the baseline of what is allowed to exist.
Get-BuildRoot -Path $root | Out-Null
# One lock taken and released: the overlay copies the lock directory up now, not during a case.
[GentooImage.Engine.Platform.RootLock]::Acquire((Join-Path $WorkDir 'warm-up'), 'warm-up', [TimeSpan]::Zero, [Threading.CancellationToken]::None).Dispose()
$rootBefore = @(Get-ChildItem -LiteralPath $root -Recurse -Force | ForEach-Object FullName)
$upperBefore = @(Get-UpperState)
$mountsBefore = @(Get-MountKeys)
$plainBefore = @(Get-ChildItem -LiteralPath $plain -Recurse -Force | ForEach-Object FullName)
$foreignBefore = @(Get-ChildItem -LiteralPath $foreign -Recurse -Force | ForEach-Object FullName)
$testedHash = (Get-FileHash $tested).Hash

$badRoots = [ordered]@{
    'root /' = '/'; 'symlink to /' = $toRoot; '/etc' = '/etc'; '/sys' = '/sys'; '/dev' = '/dev'; '/run' = '/run'
    '/proc' = '/proc'; '/usr' = '/usr'; '/var/log' = '/var/log'; 'parent of build roots' = $parent
}
$cases = [System.Collections.Generic.List[object]]::new()
function Add-Case([string] $Cmdlet, [string] $What, [string] $Expected, [hashtable] $Params, [switch] $NoWhatIf) {
    $cases.Add([pscustomobject]@{ Cmdlet = $Cmdlet; Input = $What; Expected = $Expected; Params = $Params; WhatIf = -not $NoWhatIf })
}
foreach ($k in $badRoots.Keys) {
    $p = $badRoots[$k]
    Add-Case New-Stage3Root $k UnsafeRootPath @{ Path = $p; Stage3 = $stage3; Verification = 'None'; Force = $true }
    Add-Case Mount-BuildFilesystems $k UnsafeRootPath @{ Path = $p }
    Add-Case Dismount-BuildFilesystems $k UnsafeRootPath @{ Path = $p; Force = $true }
    Add-Case Invoke-GentooChroot $k UnsafeRootPath @{ Path = $p; Script = 'touch /gi-guard-ran'; AllowUnmounted = $true }
    Add-Case Set-KernelConfig $k UnsafeRootPath @{ Path = $p; Preset = 'Virtio'; DistKernel = $true }
    Add-Case Initialize-CloudGuest $k UnsafeRootPath @{ Path = $p }
    Add-Case New-RawDiskImage $k UnsafeRootPath @{ RootPath = $p; Path = $image }
    Add-Case Get-BuildRoot $k UnsafeRootPath @{ Path = $p } -NoWhatIf
}
foreach ($c in 'Mount-BuildFilesystems', 'Dismount-BuildFilesystems', 'Initialize-CloudGuest') { Add-Case $c 'not a build root' NotABuildRoot @{ Path = $plain } }
Add-Case Invoke-GentooChroot 'not a build root' NotABuildRoot @{ Path = $plain; Script = 'true'; AllowUnmounted = $true }
Add-Case Set-KernelConfig 'not a build root' NotABuildRoot @{ Path = $plain; Preset = 'Virtio'; DistKernel = $true }
Add-Case New-RawDiskImage 'not a build root' NotABuildRoot @{ RootPath = $plain; Path = $image }
Add-Case Get-BuildRoot 'not a build root' NotABuildRoot @{ Path = $plain } -NoWhatIf
Add-Case New-Stage3Root 'non-root directory with -Force' RootNotEmpty @{ Path = $plain; Stage3 = $stage3; Verification = 'None'; Force = $true }
Add-Case New-Stage3Root 'another system''s root with -Force' RootNotEmpty @{ Path = $foreign; Stage3 = $stage3; Verification = 'None'; Force = $true }
Add-Case Set-KernelConfig 'config in /sbin (merged /usr)' NotAKernelConfig @{ ConfigPath = '/sbin/gi.config'; Preset = 'Virtio' }
Add-Case Set-KernelConfig 'config in /var/lib' NotAKernelConfig @{ ConfigPath = '/var/lib/gi.config'; Preset = 'Virtio' }
$serialLogs = [ordered]@{
    'serial log /etc/passwd' = '/etc/passwd'; 'serial log in /etc' = '/etc/gi-serial.log'; 'serial log in /usr/bin' = '/usr/bin/gi-serial.log'
    'serial log in /boot' = '/boot/gi-serial.log'; 'serial log in /var/lib' = '/var/lib/gi-serial.log'; 'serial log in /sys' = '/sys/gi-serial.log'
    'serial log /dev/null' = '/dev/null'; 'serial log on a block device' = $node; 'serial log is a directory' = $WorkDir
    'serial log is the image' = $tested; 'serial log is a symlink to the image' = $testedAlias; 'serial log through a symlink to /' = (Join-Path $toRoot 'etc/gi-serial.log')
}
foreach ($k in $serialLogs.Keys) { Add-Case Test-RawDiskImage $k UnsafeOutputPath @{ Path = $tested; Boot = $true; SerialLogPath = $serialLogs[$k]; TimeoutSec = 5 } -NoWhatIf }
Add-Case New-Stage3Root 'cache /etc' UnsafeCachePath @{ Path = (Join-Path $WorkDir 'new'); Stage3 = $stage3; Verification = 'None'; CacheDirectory = '/etc' }
Add-Case Mount-BuildFilesystems 'distfiles cache /' UnsafeCachePath @{ Path = $root; DistfilesCache = '/' }
Add-Case Mount-BuildFilesystems 'binpkg cache /usr' UnsafeCachePath @{ Path = $root; BinpkgCache = '/usr' }
Add-Case New-RawDiskImage 'device node as image' UnsafeOutputPath @{ RootPath = $root; Path = $node; Force = $true }
Add-Case New-RawDiskImage 'image in /etc' UnsafeOutputPath @{ RootPath = $root; Path = '/etc/gentoo.img' }
Add-Case New-RawDiskImage 'image over /etc/passwd' UnsafeOutputPath @{ RootPath = $root; Path = '/etc/passwd'; Force = $true }
Add-Case Invoke-GentooChroot 'existing log file' UnsafeOutputPath @{ Path = $root; Script = 'true'; AllowUnmounted = $true; LogPath = $log }
Add-Case Invoke-GentooChroot 'log in /usr/bin' UnsafeOutputPath @{ Path = $root; Script = 'true'; AllowUnmounted = $true; LogPath = '/usr/bin/gi.log' }
Add-Case Set-KernelConfig 'non-kernel config' NotAKernelConfig @{ ConfigPath = $passwd; Preset = 'Virtio' }
Add-Case Set-KernelConfig 'config in /etc' NotAKernelConfig @{ ConfigPath = '/etc/passwd'; Preset = 'Virtio' }
Add-Case New-RawDiskImage 'newline in -KernelCommandLine' ParameterArgumentValidationError @{ RootPath = $root; Path = $image; KernelCommandLine = "quiet`n}`nmenuentry x {" }
Add-Case New-RawDiskImage '-Console ttyS' ParameterArgumentValidationError @{ RootPath = $root; Path = $image; Console = 'ttyS' }
Add-Case New-RawDiskImage 'newline in -Console' ParameterArgumentValidationError @{ RootPath = $root; Path = $image; Console = "ttyS0`nx" }
Add-Case Initialize-CloudGuest 'newline in -Hostname' ParameterArgumentValidationError @{ Path = $root; Hostname = "gentoo`n127.0.0.1 evil" }
Add-Case New-RawDiskImage 'escape in -Label' ParameterArgumentValidationError @{ RootPath = $root; Path = $image; Label = "a$([char]27)b" }

$results = foreach ($case in $cases) {
    $ids = @(foreach ($whatIf in @($false) + @(if ($case.WhatIf) { $true })) {
        $params = $case.Params.Clone()
        if ($whatIf) { $params.WhatIf = $true }
        $id = 'no error'
        try {
            $err = $null
            & $case.Cmdlet @params -ErrorVariable err -ErrorAction SilentlyContinue *> $null
            if ($err) { $id = $err[0].FullyQualifiedErrorId }
        } catch {
            $id = $_.FullyQualifiedErrorId
        }
        $id -replace ',.*$', ''
    })
    [pscustomobject]@{ Cmdlet = $case.Cmdlet; Input = $case.Input; Expected = $case.Expected; Run = $ids[0]; WhatIf = if ($case.WhatIf) { $ids[1] } else { $null } }
}

$upperAfter = @(Get-UpperState)
[pscustomobject]@{
    Overlaid     = @($overlaid.Dir)
    Cases        = @($results)
    UpperChanges = @(Compare-Object $upperBefore $upperAfter | ForEach-Object { "$($_.SideIndicator) $($_.InputObject)" })
    MountChanges = @(Compare-Object $mountsBefore @(Get-MountKeys) | ForEach-Object { "$($_.SideIndicator) $($_.InputObject)" })
    ForeignChanges = @(Compare-Object $foreignBefore @(Get-ChildItem -LiteralPath $foreign -Recurse -Force | ForEach-Object FullName) | ForEach-Object { "$($_.SideIndicator) $($_.InputObject)" })
    ForeignData  = (Get-Content -Raw (Join-Path $foreign 'home/u/data'))
    TestedSame   = ((Get-FileHash $tested).Hash -eq $testedHash)
    PlainChanges = @(Compare-Object $plainBefore @(Get-ChildItem -LiteralPath $plain -Recurse -Force | ForEach-Object FullName) | ForEach-Object { "$($_.SideIndicator) $($_.InputObject)" })
    LogContent   = (Get-Content -Raw $log)
    PasswdSame   = ((Get-FileHash $passwd).Hash -eq (Get-FileHash /etc/passwd).Hash)
    NodeIsBlock  = ((& stat -c %F $node) -eq 'block special file')
    RootChanges  = @(Compare-Object $rootBefore @(Get-ChildItem -LiteralPath $root -Recurse -Force | ForEach-Object FullName) | ForEach-Object { "$($_.SideIndicator) $($_.InputObject)" })
    NewRootMade  = (Test-Path (Join-Path $WorkDir 'new'))
} | ConvertTo-Json -Depth 5 | Set-Content -LiteralPath $ResultPath
