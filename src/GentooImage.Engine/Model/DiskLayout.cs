using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace GentooImage.Engine.Model;

/// <summary>The partition table of an image as sfdisk reads it, with the partitions that matter for booting.</summary>
public sealed record DiskLayout(string Label, string DiskId, IReadOnlyList<DiskPartition> Partitions)
{
    public DiskPartition? Root => Partitions.FirstOrDefault(p => p.IsRoot);

    public DiskPartition? Esp => Partitions.FirstOrDefault(p => p.IsEsp);

    public DiskPartition? BiosBoot => Partitions.FirstOrDefault(p => p.IsBiosBoot);

    /// <summary>Reads <c>sfdisk --json</c> output; MBR partitions get their PARTUUID from the disk signature.</summary>
    public static DiskLayout Parse(string sfdiskJson)
    {
        using var doc = JsonDocument.Parse(sfdiskJson);
        var table = doc.RootElement.GetProperty("partitiontable");
        var label = table.GetProperty("label").GetString()!;
        var id = table.TryGetProperty("id", out var idEl) ? idEl.GetString() ?? string.Empty : string.Empty;
        var parts = new List<DiskPartition>();
        if (table.TryGetProperty("partitions", out var list))
        {
            foreach (var p in list.EnumerateArray())
            {
                var node = p.GetProperty("node").GetString()!;
                var number = int.Parse(Regex.Match(node, @"(\d+)$").Value, CultureInfo.InvariantCulture);
                var type = p.GetProperty("type").GetString()!;
                string? partUuid = p.TryGetProperty("uuid", out var u) ? u.GetString() : null;
                if (label == "dos")
                {
                    type = type.ToLowerInvariant();
                    partUuid = $"{id.Replace("0x", string.Empty, StringComparison.OrdinalIgnoreCase).ToLowerInvariant().PadLeft(8, '0')}-{number:00}";
                }
                else
                {
                    type = type.ToUpperInvariant();
                }

                parts.Add(new DiskPartition(number, p.GetProperty("start").GetInt64(), p.GetProperty("size").GetInt64(), type, partUuid, label));
            }
        }

        return new DiskLayout(label, id, parts);
    }
}
