using System.Globalization;

namespace MonarchLogs.Cmdlets.Display
{
    /// <summary>Sizes as people read them in messages and progress.</summary>
    internal static class Sizes
    {
        public static string Bytes(long bytes) =>
            bytes >= 1 << 20 ? (bytes / 1048576.0).ToString("0.0 'MB'", CultureInfo.InvariantCulture)
            : bytes >= 1 << 10 ? (bytes / 1024.0).ToString("0.0 'KB'", CultureInfo.InvariantCulture)
            : bytes.ToString(CultureInfo.InvariantCulture) + " bytes";
    }
}
