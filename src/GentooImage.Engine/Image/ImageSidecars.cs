using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using GentooImage.Engine.Model;
using GentooImage.Engine.Platform;
using static GentooImage.Engine.Image.SizeText;

namespace GentooImage.Engine.Image;

/// <summary>
/// The files beside the image: &lt;image&gt;.sha256 (sha256sum format) and &lt;image&gt;.glance.json
/// (the Glance properties OpenStack wants), plus the checksums and the upload command the DiskImage
/// reports. They are written to temporary names beside the image first and put in place only after
/// the image itself (<see cref="Commit"/>): a build that fails never leaves sidecars describing an
/// image that did not arrive, and never removes sidecars it did not write.
/// </summary>
internal static class ImageSidecars
{
    /// <summary>
    /// Hashes <paramref name="finished"/> (the image file about to be renamed to the requested path)
    /// and writes the sidecars to temporary files beside the requested path (removed by the
    /// workspace if the build fails); <see cref="Commit"/> puts them in place once the image is.
    /// </summary>
    public static (string Sha256, string? Sha512, Dictionary<string, string> Glance, string UploadCommand, IReadOnlyList<(string Temp, string Path)> Staged) Write(ImageWorkspace ws, string finished)
    {
        var req = ws.Layout.Request;
        var withSha512 = req.Checksums.Contains(ImageChecksum.Sha512);
        ws.Step(withSha512 ? "Computing checksums" : "Computing the checksum", 80);
        var (sha256, sha512) = Hash(ws, finished, withSha512);
        var glance = GlanceProperties(ws.Layout);
        ws.Context.ThrowIfCancelled("writing the image");
        var staged = new List<(string Temp, string Path)>();
        Stage(ws, staged, req.ImagePath + ".sha256", $"{sha256}  {Path.GetFileName(req.ImagePath)}\n");
        var json = new Dictionary<string, object>();
        foreach (var (k, v) in glance)
        {
            json[k] = k == "min_disk" ? int.Parse(v, CultureInfo.InvariantCulture) : v;
        }

        Stage(ws, staged, req.ImagePath + ".glance.json", JsonSerializer.Serialize(json, new JsonSerializerOptions { WriteIndented = true }) + "\n");
        return (sha256, sha512, glance, UploadCommand(req.ImagePath, glance), staged);
    }

    /// <summary>Puts the staged sidecars in place (renames: the image is already there).</summary>
    public static void Commit(IReadOnlyList<(string Temp, string Path)> staged)
    {
        foreach (var (temp, path) in staged)
        {
            AtomicFile.Commit(temp, path, overwrite: true);
        }
    }

    private static void Stage(ImageWorkspace ws, List<(string Temp, string Path)> staged, string path, string text)
    {
        var temp = AtomicFile.TempPathFor(path);
        ws.AddTempFile(temp);
        using (var fs = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
        {
            fs.Write(new System.Text.UTF8Encoding(false).GetBytes(text)); // a new file: never written through a planted link
        }

        staged.Add((temp, path));
    }

    /// <summary>SHA-256 (and SHA-512 when asked for) in one read; the next block is read while the last one is hashed.</summary>
    private static (string, string?) Hash(ImageWorkspace ws, string path, bool withSha512)
    {
        using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var sha512 = withSha512 ? IncrementalHash.CreateHash(HashAlgorithmName.SHA512) : null;
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        var length = fs.Length;
        var bufs = new[] { new byte[4 * MiB], new byte[4 * MiB] };
        var cur = 0;
        var n = fs.Read(bufs[cur]);
        long total = 0;
        var lastReport = 0;
        while (n > 0)
        {
            ws.Context.ThrowIfCancelled("computing checksums");
            var buf = bufs[cur];
            var len = n;
            var t256 = Task.Run(() => sha256.AppendData(buf, 0, len));
            var t512 = sha512 is null ? Task.CompletedTask : Task.Run(() => sha512.AppendData(buf, 0, len));
            cur ^= 1;
            n = fs.Read(bufs[cur]);
            Task.WaitAll(t256, t512);
            total += len;
            var pct = (int)(80 + (19 * total / Math.Max(1, length)));
            if (pct != lastReport)
            {
                lastReport = pct;
                ws.Context.Report(new ProgressReport(ImageWorkspace.Activity, "Computing checksums", pct));
            }
        }

        return (Convert.ToHexString(sha256.GetHashAndReset()).ToLowerInvariant(),
            sha512 is null ? null : Convert.ToHexString(sha512.GetHashAndReset()).ToLowerInvariant());
    }

    private static Dictionary<string, string> GlanceProperties(DiskImageLayout l) => new()
    {
        ["disk_format"] = l.Request.Format == DiskImageFormat.Qcow2 ? "qcow2" : "raw",
        ["container_format"] = "bare",
        ["min_disk"] = ((l.SizeBytes + (1L << 30) - 1) >> 30).ToString(CultureInfo.InvariantCulture),
        ["os_distro"] = "gentoo",
        ["os_type"] = "linux",
        ["architecture"] = "x86_64",
        ["hw_disk_bus"] = "virtio",
        ["hw_vif_model"] = "virtio",
        ["hw_firmware_type"] = l.BootLoaders.Any(b => b.BootsWithBios) ? "bios" : "uefi",
    };

    private static string UploadCommand(string imagePath, Dictionary<string, string> g)
    {
        var args = new List<string>
        {
            "openstack", "image", "create",
            "--disk-format", g["disk_format"], "--container-format", g["container_format"], "--min-disk", g["min_disk"],
        };
        foreach (var k in new[] { "os_distro", "os_type", "architecture", "hw_disk_bus", "hw_vif_model", "hw_firmware_type" })
        {
            args.Add("--property");
            args.Add($"{k}={g[k]}");
        }

        args.Add("--file");
        args.Add(imagePath);
        args.Add(Path.GetFileNameWithoutExtension(imagePath));
        return new ProcessSpec(args[0], args.Skip(1).ToArray()).Display;
    }
}
