using System;
using System.ComponentModel;
using MonarchLogs.Core.Connection;

namespace MonarchLogs.Web
{
    /// <summary>
    /// Settings of the web viewer. Where the store lives is the same setting as for the logging
    /// provider and the cmdlets (<see cref="StoreConnectionSettings"/>), used when the host has not
    /// registered its own LogStore or multiplexer. <see cref="MonarchLogViewerServiceCollectionExtensions.AddMonarchLogViewer"/>
    /// reads them from configuration (the shared <c>Valkey:ConnectionString</c>, <c>Valkey:Prefix</c>,
    /// <c>Valkey:User</c>, <c>Valkey:Password</c>, <c>Valkey:TrustedCertificateAuthorityPath</c>,
    /// each overridden for the viewer alone by the same key under <c>Viewer:Valkey</c>; then
    /// <c>Viewer:BearerToken</c>, <c>Viewer:BasicAuth:User</c>, <c>Viewer:BasicAuth:Password</c>,
    /// <c>Viewer:AllowRemoteAccessWithoutAuth</c>) and then applies the caller's action.
    /// </summary>
    public sealed class MonarchLogViewerOptions : StoreConnectionSettings
    {
        /// <summary>The old name of <see cref="StoreConnectionSettings.User"/>.</summary>
        [Obsolete("ValkeyUser is now User, the name the logging provider and the cmdlets use.")]
        [EditorBrowsable(EditorBrowsableState.Never)]
        public string? ValkeyUser
        {
            get => User;
            set => User = value;
        }

        /// <summary>The old name of <see cref="StoreConnectionSettings.Password"/>.</summary>
        [Obsolete("ValkeyPassword is now Password, the name the logging provider and the cmdlets use.")]
        [EditorBrowsable(EditorBrowsableState.Never)]
        public string? ValkeyPassword
        {
            get => Password;
            set => Password = value;
        }

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
