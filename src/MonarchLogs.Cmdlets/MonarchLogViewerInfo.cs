using System;

namespace MonarchLogs.Cmdlets
{
    /// <summary>A viewer that Start-MonarchLogViewer started. It holds no password.</summary>
    public sealed class MonarchLogViewerInfo
    {
        /// <summary>The page, http://127.0.0.1:&lt;port&gt;/.</summary>
        public string Url { get; init; } = string.Empty;

        public int Port { get; init; }

        /// <summary>The viewer's process (dotnet running MonarchLogs.Viewer.dll).</summary>
        public int ProcessId { get; init; }

        /// <summary>The connection string the viewer reads, without any password.</summary>
        public string Server { get; init; } = string.Empty;

        /// <summary>The ACL user, empty for the default user.</summary>
        public string User { get; init; } = string.Empty;

        public string Prefix { get; init; } = string.Empty;

        public DateTime StartTime { get; init; }
    }
}
