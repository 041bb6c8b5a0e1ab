using System;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using MonarchLogs.Core.Connection;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Storage;
using MonarchLogs.Web.Api;
using StackExchange.Redis;

namespace MonarchLogs.Web
{
    /// <summary>Registers the web viewer's services: <c>builder.Services.AddMonarchLogViewer()</c>.</summary>
    public static class MonarchLogViewerServiceCollectionExtensions
    {
        /// <summary>
        /// Registers the web viewer's options and, unless the host has its own, one shared
        /// <see cref="IConnectionMultiplexer"/> and a singleton <see cref="LogStore"/> over it.
        /// </summary>
        public static IServiceCollection AddMonarchLogViewer(this IServiceCollection services, Action<MonarchLogViewerOptions>? configure = null)
        {
            ArgumentNullException.ThrowIfNull(services);
            services.AddOptions<MonarchLogViewerOptions>().ValidateOnStart();
            services.AddSingleton<IConfigureOptions<MonarchLogViewerOptions>>(sp =>
                new ConfigureFromConfiguration(sp.GetService<IConfiguration>()));
            if (configure is not null) services.Configure(configure);
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MonarchLogViewerOptions>, MonarchLogViewerOptionsValidator>(
                sp => new MonarchLogViewerOptionsValidator(new ConfigureFromConfiguration(sp.GetService<IConfiguration>()).KeyOf)));

            services.TryAddSingleton<IConnectionMultiplexer>(sp =>
            {
                var options = sp.GetRequiredService<IOptions<MonarchLogViewerOptions>>().Value;
                // In the background: the viewer serves while Valkey is down, answering 503 until it is back.
                // The store's reads check that the connection runs as the configured user.
                return StoreConnection.ConnectInBackground(StoreConnection.CreateOptions(options, "monarchlogs-viewer"));
            });
            services.TryAddSingleton(sp =>
            {
                var options = sp.GetRequiredService<IOptions<MonarchLogViewerOptions>>().Value;
                return new LogStore(sp.GetRequiredService<IConnectionMultiplexer>(), new StorageFormat(options.Prefix));
            });
            services.TryAddSingleton(sp => new ViewerHealthProbe(sp.GetRequiredService<LogStore>()));
            return services;
        }

        private sealed class ConfigureFromConfiguration : IConfigureOptions<MonarchLogViewerOptions>
        {
            private const string OwnSection = "Viewer:" + StoreConnectionSettings.SectionName;
            private readonly IConfiguration? _configuration;

            public ConfigureFromConfiguration(IConfiguration? configuration) => _configuration = configuration;

            public void Configure(MonarchLogViewerOptions options)
            {
                if (_configuration is null) return;
                // The store of the host, shared with the logging provider; then the viewer's own
                // settings over it (a reader user beside the provider's writer user).
                var shared = _configuration.GetSection(StoreConnectionSettings.SectionName);
                var own = _configuration.GetSection(OwnSection);
                options.ReadShared(setting => shared[setting], !string.IsNullOrWhiteSpace(own[nameof(options.ConnectionString)]));
                options.Read(setting => own[setting]);
                options.BearerToken = NonEmpty(_configuration["Viewer:BearerToken"]) ?? options.BearerToken;
                options.BasicAuthUser = NonEmpty(_configuration["Viewer:BasicAuth:User"]) ?? options.BasicAuthUser;
                options.BasicAuthPassword = NonEmpty(_configuration["Viewer:BasicAuth:Password"]) ?? options.BasicAuthPassword;
                if (bool.TryParse(_configuration["Viewer:AllowRemoteAccessWithoutAuth"], out var allowRemote))
                {
                    options.AllowRemoteAccessWithoutAuth = allowRemote;
                }
            }

            /// <summary>
            /// The configuration key to name in a message about <paramref name="setting"/>, whose
            /// value is <paramref name="value"/>: the viewer's own key when the value came from
            /// there, else the shared section's (also for a value set in code).
            /// </summary>
            public string KeyOf(string setting, string? value)
            {
                var own = OwnSection + ":" + setting;
                var fromOwn = _configuration is not null && !string.IsNullOrWhiteSpace(value) && _configuration[own] == value;
                return fromOwn ? own : StoreConnectionSettings.SectionName + ":" + setting;
            }

            private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
        }
    }
}
