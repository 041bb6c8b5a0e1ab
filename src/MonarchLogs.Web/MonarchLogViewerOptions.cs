using System;
using MonarchLogs.Core.Connection;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Storage;

namespace MonarchLogs.Web
{
    /// <summary>
    /// Settings of the web viewer. <see cref="MonarchLogViewerServiceCollectionExtensions.AddMonarchLogViewer"/>
    /// reads them from configuration (<c>Valkey:ConnectionString</c>, <c>Valkey:Prefix</c>,
    /// <c>Valkey:User</c>, <c>Valkey:Password</c>, <c>Viewer:BearerToken</c>, <c>Viewer:BasicAuth:User</c>, <c>Viewer:BasicAuth:Password</c>,
    /// <c>Viewer:AllowRemoteAccessWithoutAuth</c>) and then applies the caller's action.
    /// </summary>
    public sealed class MonarchLogViewerOptions
    {
        /// <summary>
        /// Where the store lives, when the host has not registered its own LogStore or multiplexer:
        /// a StackExchange.Redis connection string; by default the MONARCHLOGS_CONNECTION
        /// environment variable, else localhost:6379, as for the cmdlets.
        /// </summary>
        public string ConnectionString { get; set; } = StoreConnection.DefaultFromEnvironment();

        /// <summary>Valkey ACL user (for example monarch-reader), when not in the connection string.</summary>
        public string? ValkeyUser { get; set; }

        /// <summary>Valkey password, when not in the connection string.</summary>
        public string? ValkeyPassword { get; set; }

        /// <summary>Key prefix of the store, when the host has not registered its own LogStore.</summary>
        public string Prefix { get; set; } = StorageFormat.DefaultPrefix;

        /// <summary>A token that callers send as <c>Authorization: Bearer &lt;token&gt;</c>; null for none.</summary>
        public string? BearerToken { get; set; }

        /// <summary>The user of HTTP basic auth; basic auth is on when both this and <see cref="BasicAuthPassword"/> are set.</summary>
        public string? BasicAuthUser { get; set; }

        /// <summary>The password of HTTP basic auth; see <see cref="BasicAuthUser"/>.</summary>
        public string? BasicAuthPassword { get; set; }

        /// <summary>
        /// Without auth the viewer answers only loopback clients that name a loopback host. A host
        /// that protects the viewer itself (for example with RequireAuthorization on the endpoints
        /// that MapMonarchLogViewer returns) sets this to serve other clients too.
        /// </summary>
        public bool AllowRemoteAccessWithoutAuth { get; set; }

        /// <summary>Entries per page of api/logs when the caller gives no limit.</summary>
        public int DefaultLimit { get; set; } = 100;

        /// <summary>The most entries one page of api/logs returns, whatever limit the caller asks.</summary>
        public int MaxLimit { get; set; } = 1000;

        /// <summary>Entries in a download when the caller gives no limit.</summary>
        public int DefaultExportLimit { get; set; } = 10_000;

        /// <summary>The most entries one download holds.</summary>
        public int MaxExportLimit { get; set; } = 100_000;

        /// <summary>The most entries api/stats reads for one chart; past it the answer says it is capped.</summary>
        public int StatsScanLimit { get; set; } = 100_000;

        /// <summary>How often an idle live tail sends a comment, so proxies and browsers keep the stream open.</summary>
        public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(15);

        /// <summary>How long a live tail waits for a writer's nudge before it looks anyway.</summary>
        public TimeSpan TailPollInterval { get; set; } = TimeSpan.FromSeconds(1);

        internal bool HasBearerToken => !string.IsNullOrEmpty(BearerToken);

        internal bool HasBasicAuth => !string.IsNullOrEmpty(BasicAuthUser) && !string.IsNullOrEmpty(BasicAuthPassword);

        /// <summary>Whether callers must authenticate.</summary>
        public bool RequiresAuth => HasBearerToken || HasBasicAuth;
    }
}
