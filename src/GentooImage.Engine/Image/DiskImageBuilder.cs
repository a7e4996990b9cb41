using GentooImage.Engine.Model;
using GentooImage.Engine.Platform;
using static GentooImage.Engine.Image.SizeText;

namespace GentooImage.Engine.Image;

/// <summary>
/// New-RawDiskImage's stage: writes a bootable disk image from a root directory without loop
/// devices or mounts. The steps: plan (<see cref="DiskImagePlanner"/>, which also chooses the boot
/// loaders for the firmware), a sparse file, the partition table (<see cref="PartitionTableWriter"/>),
/// the root file system (<see cref="RootFileSystemWriter"/>), the planned boot loaders
/// (<see cref="DiskImageLayout.BootLoaders"/>, installed in disk order), an optional qcow2
/// conversion, the checksum and Glance sidecars (<see cref="ImageSidecars"/>), and the rename into
/// place; the step is recorded in the root's History (<see cref="StepRecorder"/>).
/// </summary>
public static class DiskImageBuilder
{
    /// <summary>The step's name in the root's History (and in the messages that need root).</summary>
    public const string Step = "New-RawDiskImage";

    /// <summary>Plans the image (nothing is written): checks the request, finds the kernel, measures the root.</summary>
    public static DiskImageLayout Plan(DiskImageRequest request, OperationContext ctx) => DiskImagePlanner.Plan(request, ctx);

    /// <summary>Plans and builds in one call.</summary>
    public static DiskImage Build(DiskImageRequest request, OperationContext ctx, BuildRoot? buildRoot = null) =>
        Build(Plan(request, ctx), ctx, buildRoot);

    /// <summary>
    /// Writes the planned image. It is written under a temporary name beside the target and renamed
    /// at the end; on failure or cancellation nothing is left behind. With <paramref name="buildRoot"/>
    /// the step is recorded in its history.
    /// </summary>
    public static DiskImage Build(DiskImageLayout layout, OperationContext ctx, BuildRoot? buildRoot = null) =>
        Build(layout, ctx, buildRoot, ProcessRunner.Instance);

    internal static DiskImage Build(DiskImageLayout layout, OperationContext ctx, BuildRoot? buildRoot, IProcessRunner runner)
    {
        Privilege.RequireRoot(Step, "the image keeps the root's owners and device nodes");
        var history = StepRecorder.Start(buildRoot, Step, ctx);
        DiskImage image;
        try
        {
            image = Write(new ImageWorkspace(layout, ctx, runner));
        }
        catch (Exception ex)
        {
            history.Failed(ex);
            throw;
        }

        history.Succeeded(
            $"{image.Path} ({image.VirtualSize / MiB} MiB, {image.PartitionTable}, {image.Firmware})",
            new Dictionary<string, string>
            {
                ["Path"] = image.Path,
                ["Sha256"] = image.Sha256,
                ["RootUuid"] = image.RootUuid,
                ["Kernel"] = image.Kernel,
                ["CommandLine"] = image.CommandLine,
            });
        return image;
    }

    /// <summary>The steps of one build, in order.</summary>
    private static DiskImage Write(ImageWorkspace ws)
    {
        var layout = ws.Layout;
        var req = layout.Request;
        var rootFs = new RootFileSystemWriter(ws);
        try
        {
            ImageWorkspace.RemoveLeftovers(req.ImagePath, req.RootPath, ws.Context);
            ws.CreateSparseImage();
            ws.Step("Writing the partition table", 3);
            var table = PartitionTableWriter.Write(ws);
            var root = table.Single(p => p.Number == layout.Root.Number);
            rootFs.Write(root.Start, root.Size);
            for (var i = 0; i < layout.BootLoaders.Count; i++)
            {
                ws.Step(layout.BootLoaders[i].Status, 70 + (2 * i));
                layout.BootLoaders[i].Install(ws, table);
            }

            var final = ConvertIfAsked(ws);
            var sidecars = ImageSidecars.Write(ws, final);
            AtomicFile.Commit(final, req.ImagePath, overwrite: req.Force);
            ImageSidecars.Commit(sidecars.Staged);
            ws.Finished();
            ws.Context.Report(new ProgressReport(ImageWorkspace.Activity, "Done", 100, 0, true));
            return new DiskImage
            {
                Path = req.ImagePath,
                Format = req.Format,
                VirtualSize = layout.SizeBytes,
                AllocatedSize = FileCalls.LStat(req.ImagePath).Blocks * 512,
                PartitionTable = layout.PartitionTable,
                Firmware = req.Firmware,
                RootUuid = layout.RootUuid,
                RootPartUuid = layout.Root.PartUuid,
                Kernel = layout.Kernel,
                Initramfs = layout.Initramfs,
                CommandLine = layout.CommandLine,
                Sha256 = sidecars.Sha256,
                Sha512 = sidecars.Sha512,
                GlanceProperties = sidecars.Glance,
                UploadCommand = sidecars.UploadCommand,
            };
        }
        catch (OperationCanceledException ex)
        {
            throw OperationContext.Cancelled("writing the image", ex);
        }
        catch (IOException ex) when (ex.HResult == 28 || ex.Message.Contains("No space left", StringComparison.Ordinal))
        {
            throw ws.NoSpace(ex);
        }
        finally
        {
            rootFs.Cleanup();
            ws.Cleanup();
        }
    }

    /// <summary>The finished image file: the raw one, or a qcow2 conversion of it (-Format Qcow2).</summary>
    private static string ConvertIfAsked(ImageWorkspace ws)
    {
        var req = ws.Layout.Request;
        if (req.Format != DiskImageFormat.Qcow2)
        {
            return ws.TempImage;
        }

        ws.Step("Converting to qcow2", 75);
        var qcow2 = ws.TempQcow2;
        ws.AddTempFile(qcow2);
        var args = new List<string> { "convert", "-f", "raw", "-O", "qcow2" };
        if (req.Compress)
        {
            args.Add("-c");
        }

        args.Add(ws.TempImage);
        args.Add(qcow2);
        ws.Tool(new ProcessSpec("qemu-img", args), "qemu-img convert");
        File.Delete(ws.TempImage);
        return qcow2;
    }
}
