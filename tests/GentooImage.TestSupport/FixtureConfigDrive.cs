using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace GentooImage.TestSupport;

/// <summary>
/// An OpenStack config drive as Nova writes it: an ISO9660 image labelled <c>config-2</c> (made with
/// genisoimage and Nova's flags) holding <c>openstack/latest/</c> and a dated version folder, each
/// with meta_data.json (uuid, hostname, name, public_keys, keys), user_data, network_data.json and
/// vendor_data.json.
/// </summary>
public sealed class FixtureConfigDrive
{
    /// <summary>The MAC the guest's NIC gets (QEMU's default first NIC), named in network_data.json.</summary>
    public const string Mac = "52:54:00:12:34:56";

    public required string IsoPath { get; init; }

    public required string Hostname { get; init; }

    public required string Uuid { get; init; }

    /// <summary>The file user_data's write_files creates, and the one its runcmd creates.</summary>
    public const string UserDataFile = "/var/lib/gi-test/user-data-file";
    public const string RunCmdFile = "/var/lib/gi-test/runcmd-ran";

    /// <summary>A DHCP network_data.json (one link, type ipv4_dhcp).</summary>
    public static JsonObject DhcpNetwork() => new()
    {
        ["links"] = new JsonArray(new JsonObject { ["id"] = "tap0", ["type"] = "ovs", ["ethernet_mac_address"] = Mac, ["mtu"] = 1500, ["vif_id"] = "1f0ea2e4-0f3b-4c5e-9a47-2f0d6a5e0c01" }),
        ["networks"] = new JsonArray(new JsonObject { ["id"] = "network0", ["type"] = "ipv4_dhcp", ["link"] = "tap0", ["network_id"] = "7a0c4a6e-4d1c-4b36-8f4e-0c4f1d3e2a11" }),
        ["services"] = new JsonArray(),
    };

    /// <summary>A static network_data.json: one fixed IPv4 address with gateway and DNS.</summary>
    public static JsonObject StaticNetwork(string address, string netmask, string gateway, string dns) => new()
    {
        ["links"] = new JsonArray(new JsonObject { ["id"] = "tap0", ["type"] = "ovs", ["ethernet_mac_address"] = Mac, ["mtu"] = 1500, ["vif_id"] = "1f0ea2e4-0f3b-4c5e-9a47-2f0d6a5e0c01" }),
        ["networks"] = new JsonArray(new JsonObject
        {
            ["id"] = "network0", ["type"] = "ipv4", ["link"] = "tap0", ["ip_address"] = address, ["netmask"] = netmask,
            ["routes"] = new JsonArray(new JsonObject { ["network"] = "0.0.0.0", ["netmask"] = "0.0.0.0", ["gateway"] = gateway }),
            ["network_id"] = "7a0c4a6e-4d1c-4b36-8f4e-0c4f1d3e2a11",
            ["services"] = new JsonArray(new JsonObject { ["type"] = "dns", ["address"] = dns }),
        }),
        ["services"] = new JsonArray(new JsonObject { ["type"] = "dns", ["address"] = dns }),
    };

    /// <summary>Writes the drive's tree under <paramref name="workDir"/> and the ISO beside it.</summary>
    public static FixtureConfigDrive Create(string workDir, string hostname, string publicKey, JsonObject? network = null)
    {
        var tree = Path.Combine(workDir, "config-drive");
        var uuid = Guid.NewGuid().ToString();
        var meta = new JsonObject
        {
            ["uuid"] = uuid,
            ["meta"] = new JsonObject(),
            ["public_keys"] = new JsonObject { ["gi-test"] = publicKey.Trim() },
            ["keys"] = new JsonArray(new JsonObject { ["name"] = "gi-test", ["type"] = "ssh", ["data"] = publicKey.Trim() }),
            ["hostname"] = hostname,
            ["name"] = hostname,
            ["launch_index"] = 0,
            ["availability_zone"] = "nova",
            ["project_id"] = "0c1b5a2e3f4d4e5f8a9b0c1d2e3f4a5b",
            ["devices"] = new JsonArray(),
        };
        var userData =
            "#cloud-config\n" +
            "write_files:\n" +
            $"  - path: {UserDataFile}\n" +
            "    content: \"written by user data\\n\"\n" +
            "runcmd:\n" +
            $"  - [ sh, -c, \"date -u +%s > {RunCmdFile}\" ]\n";
        var options = new JsonSerializerOptions { WriteIndented = false };
        foreach (var version in new[] { "2018-08-27", "latest" })
        {
            var dir = Path.Combine(tree, "openstack", version);
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, "meta_data.json"), meta.ToJsonString(options));
            File.WriteAllText(Path.Combine(dir, "user_data"), userData);
            File.WriteAllText(Path.Combine(dir, "network_data.json"), (network ?? DhcpNetwork()).ToJsonString(options));
            File.WriteAllText(Path.Combine(dir, "vendor_data.json"), "{}");
        }

        var iso = Path.Combine(workDir, "config-drive.iso");
        var psi = new ProcessStartInfo("genisoimage") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-o", iso, "-ldots", "-allow-lowercase", "-allow-multidot", "-l", "-publisher", "GentooImage tests", "-quiet", "-J", "-r", "-V", "config-2", tree })
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"genisoimage failed ({p.ExitCode}): {err.Result}");
        }

        return new FixtureConfigDrive { IsoPath = iso, Hostname = hostname, Uuid = uuid };
    }
}
