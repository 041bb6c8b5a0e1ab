using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using MonarchLogs.Core.Connection;

namespace MonarchLogs.Logging
{
    /// <summary>
    /// Gives the provider the store of the host's shared <c>Valkey</c> section (the one the web
    /// viewer reads), so that a host that stores and shows logs names its store once. Registered
    /// before the provider's own <c>Logging:MonarchValkey</c> section is bound, so that section
    /// wins. A provider section that names a connection string of its own takes nothing from the
    /// shared one: a user, a password or a CA belongs to the connection string it was given with.
    /// </summary>
    internal sealed class SharedStoreConfiguration : IConfigureOptions<MonarchValkeyLoggerOptions>
    {
        private const string ProviderSection = "Logging:MonarchValkey";
        private readonly IConfiguration? _configuration;

        public SharedStoreConfiguration(IConfiguration? configuration) => _configuration = configuration;

        public void Configure(MonarchValkeyLoggerOptions options)
        {
            if (_configuration is null) return;
            if (!string.IsNullOrWhiteSpace(_configuration[ProviderSection + ":" + nameof(options.ConnectionString)])) return;
            var shared = _configuration.GetSection(StoreConnectionSettings.SectionName);
            options.Read(setting => shared[setting]);
        }
    }
}
