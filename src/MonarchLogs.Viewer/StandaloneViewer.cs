using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MonarchLogs.Web;
using MonarchLogs.Web.Security;

namespace MonarchLogs.Viewer
{
    /// <summary>
    /// The viewer as its own program: listens on http://127.0.0.1:8081 unless told otherwise,
    /// serves the page at the root (or at Viewer:MountPath), and refuses to listen beyond
    /// loopback unless a bearer token or basic auth is configured.
    /// </summary>
    public static class StandaloneViewer
    {
        public const string DefaultUrl = "http://127.0.0.1:8081";

        /// <summary>
        /// Builds the application; throws <see cref="ViewerStartupException"/> for an unsafe binding
        /// and <see cref="OptionsValidationException"/> for settings that make no sense.
        /// </summary>
        public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
        {
            var builder = WebApplication.CreateBuilder(new WebApplicationOptions
            {
                Args = args,
                ApplicationName = typeof(StandaloneViewer).Assembly.GetName().Name,
            });
            builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
            // Kestrel's 8 KB request line would answer a long filter (a shared URL, a pasted
            // message) with a bare 414 before the API can explain; 64 KB lets the API answer.
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestLineSize = 64 * 1024);
            var configured = ConfiguredUrls(builder.Configuration);
            if (configured.Count == 0)
            {
                builder.WebHost.UseUrls(DefaultUrl);
                configured = new[] { DefaultUrl };
            }

            builder.Services.AddMonarchLogViewer();
            if (builder.Configuration.GetValue<bool>("Viewer:Background"))
            {
                builder.Services.AddSingleton<IHostLifetime, BackgroundChildLifetime>();
            }

            configure?.Invoke(builder);
            var app = builder.Build();
            try
            {
                CheckBinding(configured, app.Services.GetRequiredService<IOptions<MonarchLogViewerOptions>>().Value);
            }
            catch
            {
                ((IDisposable)app).Dispose();
                throw;
            }

            app.MapMonarchLogViewer(builder.Configuration["Viewer:MountPath"] ?? "/");
            return app;
        }

        /// <summary>Runs until Ctrl+C; returns 2 with a one-line error when the binding is refused.</summary>
        public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken = default)
        {
            WebApplication app;
            try
            {
                app = Build(args);
            }
            catch (ViewerStartupException ex)
            {
                Console.Error.WriteLine("monarchlogs-viewer: " + ex.Message);
                return 2;
            }
            catch (OptionsValidationException ex)
            {
                Console.Error.WriteLine("monarchlogs-viewer: " + string.Join(" ", ex.Failures));
                return 2;
            }

            await using (app)
            {
                try
                {
                    await app.StartAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (OptionsValidationException ex)
                {
                    Console.Error.WriteLine("monarchlogs-viewer: " + string.Join(" ", ex.Failures));
                    return 2;
                }
                catch (IOException ex)
                {
                    // Kestrel's own message names the address: "Failed to bind to address ...: address already in use."
                    Console.Error.WriteLine("monarchlogs-viewer: " + ex.Message);
                    return 1;
                }

                try
                {
                    // The addresses actually bound, which configuration read before start may not show.
                    CheckBinding(app.Urls.ToList(), app.Services.GetRequiredService<IOptions<MonarchLogViewerOptions>>().Value);
                }
                catch (ViewerStartupException ex)
                {
                    Console.Error.WriteLine("monarchlogs-viewer: " + ex.Message);
                    await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
                    return 2;
                }

                app.Logger.LogInformation("MonarchLogs viewer: open {Url}", app.Urls.FirstOrDefault()?.TrimEnd('/') + "/");
                await app.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
            }

            return 0;
        }

        internal static void CheckBinding(IReadOnlyCollection<string> urls, MonarchLogViewerOptions options)
        {
            if (options.RequiresAuth || options.AllowRemoteAccessWithoutAuth) return;
            var exposed = urls.Where(u => !LoopbackAddresses.IsLoopbackUrl(u)).ToList();
            if (exposed.Count == 0) return;
            throw new ViewerStartupException(
                $"refusing to listen on {string.Join(", ", exposed)} without authentication; bind to 127.0.0.1 or set Viewer:BearerToken or Viewer:BasicAuth:User and Viewer:BasicAuth:Password.");
        }

        /// <summary>Every way ASP.NET Core is told where to listen: urls, http_ports/https_ports and Kestrel endpoints.</summary>
        internal static IReadOnlyList<string> ConfiguredUrls(IConfiguration configuration)
        {
            var urls = new List<string>();
            urls.AddRange(Split(configuration["urls"], ';'));
            urls.AddRange(Split(configuration["http_ports"], ';').Select(p => "http://*:" + p.ToString(CultureInfo.InvariantCulture)));
            urls.AddRange(Split(configuration["https_ports"], ';').Select(p => "https://*:" + p.ToString(CultureInfo.InvariantCulture)));
            urls.AddRange(configuration.GetSection("Kestrel:Endpoints").GetChildren().Select(e => e["Url"]).OfType<string>().Where(u => u.Length > 0));
            return urls;
        }

        private static IEnumerable<string> Split(string? text, char separator) =>
            (text ?? string.Empty).Split(separator).Select(s => s.Trim()).Where(s => s.Length > 0);
    }
}
