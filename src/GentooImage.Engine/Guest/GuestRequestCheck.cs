using System.Text.RegularExpressions;
using GentooImage.Engine.Model;
using GentooImage.Engine.Platform;

namespace GentooImage.Engine.Guest;

/// <summary>Refuses a cloud-guest request before anything is planned: a root that is not an extracted one, a bad host name, time zone or datasource list.</summary>
internal static class GuestRequestCheck
{
    private static readonly Regex s_hostname = new(@"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$", RegexOptions.CultureInvariant);
    private static readonly Regex s_timezone = new(@"^[A-Za-z0-9_+\-]+(/[A-Za-z0-9_+\-]+)*$", RegexOptions.CultureInvariant);

    /// <summary>
    /// Checks the request against the root <paramref name="fs"/> (whose existence the guard's Demand
    /// has already checked): text parameters first (no control characters), then the rest.
    /// </summary>
    public static void Validate(BuildRoot root, GuestOptions options, GuestRootFs fs)
    {
        HostPathPolicy.CheckText(options.Hostname, "Hostname");
        HostPathPolicy.CheckText(options.Timezone, "Timezone");

        if (!fs.DirectoryExists("/etc"))
        {
            throw new GentooImageException(ErrorKind.GuestConfigFailed, $"'{root.Path}' has no /etc: it is not an extracted root. Extract a stage3 into it first (New-Stage3Root).", root.Path);
        }

        if (options.Includes(GuestPart.Hostname) && !s_hostname.IsMatch(options.Hostname ?? string.Empty))
        {
            throw new GentooImageException(ErrorKind.InvalidArgument, $"'{options.Hostname}' is not a valid host name: use letters, digits and '-' in dot-separated labels of up to 63 characters (e.g. 'gentoo').", options.Hostname);
        }

        if (options.Includes(GuestPart.Timezone) && (!s_timezone.IsMatch(options.Timezone ?? string.Empty) || options.Timezone!.Split('/').Contains("..")))
        {
            throw new GentooImageException(ErrorKind.InvalidArgument, $"'{options.Timezone}' is not a zoneinfo name: use a name such as 'UTC' or 'Europe/Berlin'.", options.Timezone);
        }

        if (options.Includes(GuestPart.CloudInit) && options.Datasources.Count == 0)
        {
            throw new GentooImageException(ErrorKind.InvalidArgument, "The cloud-init datasource list is empty: give at least one -Datasource (e.g. OpenStack), or -Skip CloudInit.", null);
        }
    }
}
