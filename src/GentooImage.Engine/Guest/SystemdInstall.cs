namespace GentooImage.Engine.Guest;

/// <summary>The [Install] section of a systemd unit file.</summary>
internal sealed class SystemdInstall
{
    public List<string> WantedBy { get; } = new();

    public List<string> RequiredBy { get; } = new();

    public List<string> Alias { get; } = new();

    public List<string> Also { get; } = new();

    /// <summary>DefaultInstance= of a template unit, or null.</summary>
    public string? DefaultInstance { get; private set; }

    /// <summary>True when the section names nothing systemctl enable would act on (a "static" unit).</summary>
    public bool IsEmpty => WantedBy.Count == 0 && RequiredBy.Count == 0 && Alias.Count == 0 && Also.Count == 0;

    public static SystemdInstall Parse(string unitText)
    {
        var result = new SystemdInstall();
        var inInstall = false;
        foreach (var raw in unitText.Split('\n'))
        {
            var line = raw.Trim();
            if (line.StartsWith('[') && line.EndsWith(']'))
            {
                inInstall = line == "[Install]";
                continue;
            }

            if (!inInstall || line.Length == 0 || line[0] is '#' or ';')
            {
                continue;
            }

            var eq = line.IndexOf('=');
            if (eq <= 0)
            {
                continue;
            }

            var key = line[..eq].Trim();
            if (key == "DefaultInstance")
            {
                var value = line[(eq + 1)..].Trim();
                result.DefaultInstance = value.Length == 0 ? null : value;
                continue;
            }

            var values = line[(eq + 1)..].Split(' ', '\t', StringSplitOptions.RemoveEmptyEntries);
            var list = key switch
            {
                "WantedBy" => result.WantedBy,
                "RequiredBy" => result.RequiredBy,
                "Alias" => result.Alias,
                "Also" => result.Also,
                _ => null,
            };
            if (list is null)
            {
                continue;
            }

            if (values.Length == 0)
            {
                list.Clear();
            }

            list.AddRange(values.Where(v => !list.Contains(v)));
        }

        return result;
    }
}
