using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using MonarchLogs.Core.Connection;

namespace MonarchLogs.Logging
{
    /// <summary>
    /// Gives the provider the store of the host's shared <c>Valkey</c> section (the one the web
    /// viewer reads), so that a host that stores and shows logs names its store once. Registered
    /// before the provider's own <c>Logging:MonarchValkey</c> section is bound, so that section
    /// wins, setting by setting. A provider section that names a connection string of its own takes
    /// only the prefix from the shared one: a user, a password or a CA belongs to the connection
    /// string it was given with, while the prefix names the store the viewer reads.
    /// </summary>
    internal sealed class SharedStoreConfiguration : IConfigureOptions<MonarchValkeyLoggerOptions>
    {
        private const string ProviderSection = "Logging:MonarchValkey";
        private readonly IConfiguration? _configuration;

        public SharedStoreConfiguration(IConfiguration? configuration) => _configuration = configuration;

        public void Configure(MonarchValkeyLoggerOptions options)
        {
            if (_configuration is null) return;
            var shared = _configuration.GetSection(StoreConnectionSettings.SectionName);
            options.ReadShared(setting => shared[setting], OwnConnectionString);
        }

        /// <summary>
        /// The configuration key to name in a message about <paramref name="setting"/>, whose value
        /// is <paramref name="value"/>: the shared section's key when the value came from there,
        /// else the provider's own (also for a value set in code).
        /// </summary>
        public string KeyOf(string setting, string? value)
        {
            var own = ProviderSection + ":" + setting;
            var shared = StoreConnectionSettings.SectionName + ":" + setting;
            var fromShared = Takes(setting) && string.IsNullOrWhiteSpace(_configuration![own]) && !string.IsNullOrWhiteSpace(value) && _configuration[shared] == value;
            return fromShared ? shared : own;
        }

        private bool Takes(string setting) =>
            _configuration is not null && StoreConnectionSettings.TakesShared(setting, OwnConnectionString);

        private bool OwnConnectionString =>
            _configuration is not null && !string.IsNullOrWhiteSpace(_configuration[ProviderSection + ":" + nameof(StoreConnectionSettings.ConnectionString)]);
    }
}
