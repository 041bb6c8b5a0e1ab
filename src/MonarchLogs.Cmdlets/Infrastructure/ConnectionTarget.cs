using System;
using System.Management.Automation;
using System.Threading;
using MonarchLogs.Core.Connection;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Storage;

namespace MonarchLogs.Cmdlets.Infrastructure
{
    /// <summary>
    /// Where a command reads: a connection string, an optional ACL credential, a key prefix and
    /// an optional trusted CA. The password stays inside the <see cref="PSCredential"/> until the
    /// connection is made; messages and error targets use <see cref="DisplayName"/>, which never holds it.
    /// </summary>
    internal sealed class ConnectionTarget
    {
        private ConnectionTarget(string connectionString, PSCredential? credential, string prefix, string? trustedCertificateAuthorityPath)
        {
            ConnectionString = connectionString;
            Credential = credential;
            Prefix = prefix;
            TrustedCertificateAuthorityPath = trustedCertificateAuthorityPath;
        }

        public string ConnectionString { get; }

        public PSCredential? Credential { get; }

        public string Prefix { get; }

        /// <summary>The PEM file of the CA that signed Valkey's TLS certificate, as a full path; null to let the system decide.</summary>
        public string? TrustedCertificateAuthorityPath { get; }

        /// <summary>
        /// The parameters given win; then the session default of Connect-MonarchLog; then
        /// $env:MONARCHLOGS_CONNECTION; then localhost:6379. A session credential and trusted CA
        /// go only with the session's own connection string, never to a server named on the command line.
        /// </summary>
        /// <param name="trustedCertificateAuthorityPath">A full path (the cmdlet resolves it against the current location).</param>
        public static ConnectionTarget Resolve(string? connectionString, PSCredential? credential, string? prefix, string? trustedCertificateAuthorityPath, ConnectionTarget? sessionDefault)
        {
            if (credential == PSCredential.Empty) credential = null;
            var fromSession = string.IsNullOrEmpty(connectionString) && sessionDefault is not null;
            var resolvedConnection = !string.IsNullOrEmpty(connectionString)
                ? connectionString!
                : sessionDefault?.ConnectionString ?? StoreConnection.DefaultFromEnvironment();
            var resolvedCredential = credential ?? (fromSession ? sessionDefault!.Credential : null);
            var resolvedPrefix = !string.IsNullOrEmpty(prefix) ? prefix! : sessionDefault?.Prefix ?? StorageFormat.DefaultPrefix;
            var resolvedAuthority = !string.IsNullOrEmpty(trustedCertificateAuthorityPath)
                ? trustedCertificateAuthorityPath
                : fromSession ? sessionDefault!.TrustedCertificateAuthorityPath : null;
            return new ConnectionTarget(resolvedConnection, resolvedCredential, resolvedPrefix, resolvedAuthority);
        }

        /// <summary>
        /// The connection as errors and messages may show it: the connection string without any
        /// password written into it, or a placeholder when the string cannot be read.
        /// </summary>
        public string DisplayName => StoreConnection.TryDescribe(ConnectionString) ?? "(connection string that cannot be read)";

        /// <summary>The server(s) of the target, host:port only; a <see cref="Core.MonarchLogsException"/> when the string cannot be read.</summary>
        public string Servers => StoreConnection.DescribeServers(ConnectionString);

        /// <summary>The store of the target on the shared connection of <paramref name="stores"/>.</summary>
        public LogStore Open(SharedStores stores, TimeSpan? wait, CancellationToken cancellationToken)
        {
            var network = Credential?.GetNetworkCredential();
            var settings = new StoreConnectionSettings
            {
                ConnectionString = ConnectionString,
                Prefix = Prefix,
                User = network?.UserName,
                Password = network?.Password,
                TrustedCertificateAuthorityPath = TrustedCertificateAuthorityPath,
            };
            return stores.Open(settings, wait, cancellationToken);
        }
    }
}
