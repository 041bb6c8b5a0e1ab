namespace MonarchLogs.Web.Hosting
{
    /// <summary>Endpoint metadata that tells a viewer endpoint the path it is mounted under.</summary>
    internal sealed record ViewerMountMetadata(string Prefix);
}
