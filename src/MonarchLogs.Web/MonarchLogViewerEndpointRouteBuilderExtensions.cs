using System;
using System.Linq;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MonarchLogs.Web.Api;
using MonarchLogs.Web.Hosting;
using MonarchLogs.Web.Security;

namespace MonarchLogs.Web
{
    /// <summary>Mounts the web viewer in a host's endpoints: <c>app.MapMonarchLogViewer("/logs")</c>.</summary>
    public static class MonarchLogViewerEndpointRouteBuilderExtensions
    {
        /// <summary>
        /// Mounts the viewer: the page at <c>{prefix}/</c>, the API under <c>{prefix}/api/</c>, and
        /// <c>{prefix}/healthz</c> for probes (200 "Healthy" while it can read its store, else 503).
        /// Call <see cref="MonarchLogViewerServiceCollectionExtensions.AddMonarchLogViewer"/> first.
        /// Returns the route group, so a host can add its own conventions (RequireAuthorization, rate limits).
        /// </summary>
        public static RouteGroupBuilder MapMonarchLogViewer(this IEndpointRouteBuilder endpoints, string prefix = "/logs")
        {
            ArgumentNullException.ThrowIfNull(endpoints);
            var options = endpoints.ServiceProvider.GetService<IOptions<MonarchLogViewerOptions>>()
                ?? throw new InvalidOperationException("Call services.AddMonarchLogViewer() before app.MapMonarchLogViewer().");
            var mount = NormalizePrefix(prefix);

            var group = endpoints.MapGroup(mount.Length == 0 ? "/" : mount);
            group.WithMetadata(new ViewerMountMetadata(mount));
            group.AddEndpointFilter(new ViewerAccessFilter(options));
            group.AddEndpointFilter(new ViewerErrorFilter());
            group.ExcludeFromDescription();

            group.MapGet("/", ServePage);
            group.MapGet("/app.js", (HttpContext context) => ViewerAssets.Current.Serve(context, "app.js"));
            group.MapGet("/app.css", (HttpContext context) => ViewerAssets.Current.Serve(context, "app.css"));

            group.MapGet("/api/logs", LogsEndpoints.GetPageAsync);
            group.MapGet("/api/context", ContextEndpoint.GetAsync);
            group.MapGet("/api/logs.csv", LogsEndpoints.ExportCsvAsync);
            group.MapGet("/api/logs.json", LogsEndpoints.ExportJsonAsync);
            group.MapGet("/api/export", LogsEndpoints.ExportAnyAsync);
            group.MapGet("/api/services", CatalogEndpoints.GetServicesAsync);
            group.MapGet("/api/levels", CatalogEndpoints.GetLevelsAsync);
            group.MapGet("/api/stats", StatsEndpoint.GetAsync);
            group.MapGet("/api/stream", StreamEndpoint.StreamAsync);

            // For probes and load balancers, outside the group's auth: it tells only the status.
            endpoints.MapGet(mount + "/healthz", HealthEndpoint.GetAsync).ExcludeFromDescription();

            WarnIfExposed(endpoints.ServiceProvider, options.Value, mount);
            return group;
        }

        internal static string NormalizePrefix(string? prefix)
        {
            var trimmed = (prefix ?? string.Empty).Trim().TrimEnd('/');
            if (trimmed.Length == 0) return string.Empty;
            return trimmed.StartsWith("/", StringComparison.Ordinal) ? trimmed : "/" + trimmed;
        }

        /// <summary>
        /// The page's links are relative ("app.js", "api/logs"), so it must be addressed with a
        /// trailing slash; routing matches both spellings, so the handler redirects.
        /// </summary>
        private static IResult ServePage(HttpContext context)
        {
            var path = context.Request.Path.Value ?? string.Empty;
            if (!path.EndsWith("/", StringComparison.Ordinal))
            {
                return Results.Redirect((context.Request.PathBase + context.Request.Path).Value + "/" + context.Request.QueryString.Value);
            }

            return ViewerAssets.Current.Serve(context, "index.html");
        }

        /// <summary>
        /// A mounted viewer cannot stop its host from listening everywhere; without auth it then
        /// answers only local clients (ViewerAccessFilter), and says so in the host's log.
        /// </summary>
        private static void WarnIfExposed(IServiceProvider services, MonarchLogViewerOptions options, string mount)
        {
            if (options.RequiresAuth || options.AllowRemoteAccessWithoutAuth) return;
            var lifetime = services.GetService<IHostApplicationLifetime>();
            var server = services.GetService<IServer>();
            if (lifetime is null || server is null) return;
            lifetime.ApplicationStarted.Register(() =>
            {
                var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses;
                if (addresses is null || addresses.All(LoopbackAddresses.IsLoopbackUrl)) return;
                services.GetService<ILoggerFactory>()?.CreateLogger("MonarchLogs.Web.Viewer").LogWarning(
                    "The log viewer at {Mount}/ has no authentication configured and the server listens beyond loopback ({Addresses}); it answers only local clients. Set Viewer:BearerToken or Viewer:BasicAuth to open it to others.",
                    mount, string.Join(", ", addresses));
            });
        }
    }
}
