using System;
using System.Collections.Generic;
using MonarchLogs.Core.Format;

namespace MonarchLogs.Core.Connection
{
    /// <summary>
    /// Where a store lives and how to reach it, the same for the three hosts: the logging
    /// provider's options and the viewer's derive from it, the cmdlets fill it from their
    /// parameters. <see cref="StoreConnection.CreateOptions"/> turns it into a connection.
    /// Timeouts are written in the connection string (<c>connectTimeout</c>, <c>syncTimeout</c>,
    /// <c>asyncTimeout</c>); the first connect gives up after <see cref="StoreConnection.DefaultConnectTimeout"/>
    /// unless it says otherwise.
    /// </summary>
    public class StoreConnectionSettings
    {
        /// <summary>
        /// The configuration section a host that stores and shows logs shares: <c>Valkey</c>
        /// (<c>Valkey:ConnectionString</c>, <c>Valkey:Prefix</c>, <c>Valkey:User</c>,
        /// <c>Valkey:Password</c>, <c>Valkey:TrustedCertificateAuthorityPath</c>).
        /// </summary>
        public const string SectionName = "Valkey";

        /// <summary>
        /// A StackExchange.Redis connection string: <c>host:port</c> and options such as
        /// <c>ssl=true</c>, <c>sslHost=...</c>, <c>connectTimeout=...</c>; several endpoints, a
        /// Valkey Cluster's nodes, or Sentinels with <c>serviceName=...</c>. By default the
        /// <c>MONARCHLOGS_CONNECTION</c> environment variable, else <c>localhost:6379</c>.
        /// </summary>
        public string ConnectionString { get; set; } = StoreConnection.DefaultFromEnvironment();

        /// <summary>The key prefix of the store; <c>monarch:logs</c> unless the writers use another.</summary>
        public string Prefix { get; set; } = StorageFormat.DefaultPrefix;

        /// <summary>The Valkey ACL user, when not in the connection string.</summary>
        public string? User { get; set; }

        /// <summary>The Valkey password, when not in the connection string.</summary>
        public string? Password { get; set; }

        /// <summary>
        /// A PEM file with the private CA that signed Valkey's TLS certificate, or a bundle of an
        /// intermediate CA and its root (with <c>ssl=true</c> in <see cref="ConnectionString"/>):
        /// the certificate must chain to a CA of this file, and only to it. Unset, the system's trust store decides. Either way the certificate must name the
        /// host of the connection string (or its <c>sslHost</c>).
        /// </summary>
        public string? TrustedCertificateAuthorityPath { get; set; }

        /// <summary>
        /// Takes the settings of the host's shared section (<see cref="SectionName"/>) under a
        /// host's own: all of them when the own section names no connection string, else only the
        /// prefix, since a user, a password or a CA belongs to the connection string it was given
        /// with, while the prefix names the store every host of the service reads.
        /// </summary>
        public void ReadShared(Func<string, string?> shared, bool ownConnectionString)
        {
            if (shared is null) throw new ArgumentNullException(nameof(shared));
            Read(setting => TakesShared(setting, ownConnectionString) ? shared(setting) : null);
        }

        /// <summary>Whether <see cref="ReadShared"/> takes <paramref name="setting"/> from the shared section.</summary>
        public static bool TakesShared(string setting, bool ownConnectionString) =>
            !ownConnectionString || setting == nameof(Prefix);

        /// <summary>
        /// Takes each setting that <paramref name="setting"/> (a configuration section's lookup by
        /// the setting's name: <c>ConnectionString</c>, <c>Prefix</c>, <c>User</c>, <c>Password</c>,
        /// <c>TrustedCertificateAuthorityPath</c>) gives a value that is not blank; leaves the others.
        /// </summary>
        public void Read(Func<string, string?> setting)
        {
            if (setting is null) throw new ArgumentNullException(nameof(setting));
            ConnectionString = Given(nameof(ConnectionString)) ?? ConnectionString;
            Prefix = Given(nameof(Prefix)) ?? Prefix;
            User = Given(nameof(User)) ?? User;
            Password = Given(nameof(Password)) ?? Password;
            TrustedCertificateAuthorityPath = Given(nameof(TrustedCertificateAuthorityPath)) ?? TrustedCertificateAuthorityPath;

            string? Given(string name) => setting(name) is { } value && !string.IsNullOrWhiteSpace(value) ? value : null;
        }

        /// <summary>
        /// What is wrong with these settings, one line per setting: its name, what is wrong, and the
        /// error's id in brackets (<c>TrustedCertificateAuthorityPath: The file '/etc/ca.pem' does
        /// not exist. [InvalidTrustedCertificateAuthority]</c>). Empty when a connection can be made
        /// from them.
        /// </summary>
        public IReadOnlyList<string> Problems() => Problems((setting, _) => setting);

        /// <summary>
        /// As <see cref="Problems()"/>, each line naming its setting by <paramref name="keyOf"/>
        /// (the setting's name and value to the configuration key the value came from), so that a
        /// host names the key its user wrote: <c>Valkey:TrustedCertificateAuthorityPath</c> or
        /// <c>Logging:MonarchValkey:TrustedCertificateAuthorityPath</c>.
        /// </summary>
        public IReadOnlyList<string> Problems(Func<string, string?, string> keyOf)
        {
            if (keyOf is null) throw new ArgumentNullException(nameof(keyOf));
            var problems = new List<string>();
            try
            {
                StoreConnection.CreateOptions(this);
            }
            catch (MonarchLogsException ex)
            {
                var key = ex.ErrorId == StoreConnection.InvalidTrustedCertificateAuthority
                    ? keyOf(nameof(TrustedCertificateAuthorityPath), TrustedCertificateAuthorityPath)
                    : keyOf(nameof(ConnectionString), ConnectionString);
                problems.Add($"{key}: {ex.Message} [{ex.ErrorId}]");
            }

            if (string.IsNullOrWhiteSpace(Prefix)) problems.Add($"{keyOf(nameof(Prefix), Prefix)}: The key prefix must not be empty. [{StoreConnection.InvalidPrefix}]");
            return problems;
        }
    }
}
