# -Task Demo: the module's main job on an embedded default: a loopback mirror of a signed stage3, a
# 6.1 kernel with the OpenStack preset (built once, then cached), examples/Build-OpenStackImage.ps1
# -Offline, and a boot of the image in QEMU (tools/Invoke-Demo.ps1). No internet needed.

function Invoke-Demo {
    param([Parameter(Mandatory)] [string] $Configuration)
    Invoke-Bootstrap
    Invoke-Build -Configuration $Configuration
    $work = Join-Path $Out 'demo'
    Write-Step "Demo: whole pipeline in $work"
    $script = "& '$(Join-Path $Repo 'tools/Invoke-Demo.ps1')' -WorkDirectory '$work'"
    $rc = Invoke-ChildPwsh @('-Command', $script)
    if ($rc) { throw "The demo failed ($rc)." }
}
