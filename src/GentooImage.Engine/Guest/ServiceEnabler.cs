namespace GentooImage.Engine.Guest;

/// <summary>
/// Plans what <c>rc-update add</c> (OpenRC) and <c>systemctl enable</c> (systemd) would write in the
/// root: the links only, so no tool of the guest runs on the host.
/// </summary>
internal static class ServiceEnabler
{
    /// <summary>What rc-update add &lt;svc&gt; &lt;level&gt; writes.</summary>
    public static void EnableOpenRc(GuestPlanDraft draft, GuestPart part, string service, string level, bool mustExist = true)
    {
        if (mustExist && !draft.Fs.FileExists("/etc/init.d/" + service))
        {
            draft.Note($"/etc/init.d/{service} is not installed: not added to the {level} runlevel.", warn: part == GuestPart.CloudInit || part == GuestPart.GrowRoot);
            return;
        }

        draft.Link(part, $"/etc/runlevels/{level}/{service}", "/etc/init.d/" + service);
    }

    /// <summary>The path of <paramref name="unit"/> in the root's unit search path, or null when it is not installed.</summary>
    public static string? FindUnit(GuestPlanDraft draft, string unit) => SystemdUnitFiles.Find(draft.Fs, unit)?.Path;

    /// <summary>
    /// What <c>systemctl enable</c> writes (systemd's install logic): the unit is looked up in the
    /// unit search path inside the root, an alias link is followed to the unit it names (Debian's
    /// <c>sshd.service</c> -> <c>ssh.service</c>), and the links come from the unit's own [Install]
    /// section: WantedBy= and RequiredBy= (.wants/ and .requires/ links named after the unit or the
    /// instance), Alias= (links in /etc/systemd/system), Also= (those units enabled too), and
    /// DefaultInstance= for a template enabled without an instance. A unit without [Install] is
    /// static: nothing is written, as systemctl writes nothing.
    /// </summary>
    public static void EnableUnit(GuestPlanDraft draft, GuestPart part, string unit, string? instance = null, int depth = 0)
    {
        var file = SystemdUnitFiles.Find(draft.Fs, unit);
        if (file is null)
        {
            draft.Note($"The unit {unit} is not installed (in {string.Join(", ", SystemdUnitFiles.SearchPath)}): not enabled.", warn: true);
            return;
        }

        if (file.Masked)
        {
            draft.Note($"The unit {unit} is masked ({file.Path} -> /dev/null): not enabled.", warn: true);
            return;
        }

        var install = SystemdInstall.Parse(draft.Fs.ReadText(file.Path) ?? string.Empty);
        if (install.IsEmpty && install.DefaultInstance is null)
        {
            draft.Note($"The unit {file.Name} has no [Install] section (it is static, started by the units that want it): nothing to enable.");
            return;
        }

        var template = file.Name.Contains("@.", StringComparison.Ordinal);
        instance ??= template ? install.DefaultInstance : null;
        var name = template && instance is not null ? file.Name.Replace("@.", "@" + instance + ".", StringComparison.Ordinal) : file.Name;
        if (template && instance is null)
        {
            draft.Note($"The template unit {file.Name} has no DefaultInstance=: enable it with an instance name.", warn: true);
        }
        else
        {
            foreach (var target in install.WantedBy)
            {
                draft.Link(part, $"/etc/systemd/system/{target}.wants/{name}", file.Path);
            }

            foreach (var target in install.RequiredBy)
            {
                draft.Link(part, $"/etc/systemd/system/{target}.requires/{name}", file.Path);
            }

            foreach (var alias in install.Alias)
            {
                var aliasName = template && instance is not null && alias.Contains("@.", StringComparison.Ordinal)
                    ? alias.Replace("@.", "@" + instance + ".", StringComparison.Ordinal)
                    : alias;
                if (aliasName != name && !aliasName.Contains('/'))
                {
                    draft.Link(part, "/etc/systemd/system/" + aliasName, file.Path);
                }
            }
        }

        if (depth < 8)
        {
            foreach (var also in install.Also.Where(a => a != file.Name && a != unit))
            {
                EnableUnit(draft, part, also, null, depth + 1);
            }
        }
    }
}
