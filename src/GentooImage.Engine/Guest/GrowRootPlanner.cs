namespace GentooImage.Engine.Guest;

/// <summary>
/// Plans the root growth part: on first boot the root partition and file system grow to fill the
/// disk, by cloud-init's growpart when it can, else by GentooImage's own script run once at boot.
/// </summary>
internal static class GrowRootPlanner
{
    public const string GrowRootScript = GuestPlanner.LibexecDir + "/growroot";
    public const string GrowRootMarker = "/var/lib/gentooimage/growroot.done";
    public const string GrowRootLocalD = "/etc/local.d/gentooimage-growroot.start";
    public const string GrowRootUnit = "gentooimage-growroot.service";
    public const string GrowpartFile = "/etc/cloud/cloud.cfg.d/91_gentooimage_growpart.cfg";

    public static void Plan(GuestPlanDraft draft)
    {
        var fs = draft.Fs;
        var cloudInit = fs.FileExists("/usr/bin/cloud-init") && draft.Options.Includes(GuestPart.CloudInit);
        var growpart = fs.FirstFile("/usr/bin/growpart", "/usr/sbin/growpart", "/bin/growpart", "/sbin/growpart");
        if (cloudInit && growpart is not null && draft.Init != InitSystem.BusyboxInit)
        {
            draft.WriteFile(GuestPart.GrowRoot, GrowpartFile,
                "# Written by GentooImage (Initialize-CloudGuest): grow / and its file system on first boot.\n" +
                "growpart:\n  mode: auto\n  devices: ['/']\nresize_rootfs: true\n",
                GuestPlanDraft.Regular, "cloud-init growpart and resize_rootfs for /");
            draft.Note($"Root growth by cloud-init's growpart ({growpart}).");
            return;
        }

        draft.WriteFile(GuestPart.GrowRoot, GrowRootScript, GuestRootFs.Script("growroot.sh"), GuestPlanDraft.Exec, "first-boot root growth script");
        switch (draft.Init)
        {
            case InitSystem.OpenRC:
                draft.WriteFile(GuestPart.GrowRoot, GrowRootLocalD,
                    "#!/bin/sh\n# GentooImage: grow the root partition and file system once, on first boot.\n" +
                    $"[ -e {GrowRootMarker} ] || /bin/sh {GrowRootScript}\n",
                    GuestPlanDraft.Exec, "run it from the local service");
                ServiceEnabler.EnableOpenRc(draft, GuestPart.GrowRoot, "local", "default");
                break;
            case InitSystem.Systemd:
                var unit = "/etc/systemd/system/" + GrowRootUnit;
                draft.WriteFile(GuestPart.GrowRoot, unit,
                    "# Written by GentooImage (Initialize-CloudGuest).\n" +
                    "[Unit]\nDescription=Grow the root partition and file system to fill the disk (first boot)\n" +
                    $"ConditionPathExists=!{GrowRootMarker}\nAfter=local-fs.target\n\n" +
                    $"[Service]\nType=oneshot\nExecStart=/bin/sh {GrowRootScript}\n\n" +
                    "[Install]\nWantedBy=multi-user.target\n",
                    GuestPlanDraft.Regular, "oneshot unit " + GrowRootUnit);
                draft.Link(GuestPart.GrowRoot, "/etc/systemd/system/multi-user.target.wants/" + GrowRootUnit, unit);
                break;
            case InitSystem.BusyboxInit:
                InittabEdits.AddSysinit(draft, GuestPart.GrowRoot, $"::sysinit:/bin/sh {GrowRootScript}", "run the root growth at sysinit");
                break;
        }
    }
}
