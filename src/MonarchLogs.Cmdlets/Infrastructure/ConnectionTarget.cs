using System;
using System.Management.Automation;
using System.Security.Cryptography;
using System.Text;
using MonarchLogs.Core.Connection;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Storage;
using StackExchange.Redis;

namespace MonarchLogs.Cmdlets.Infrastructure
{
    /// <summary>
    /// Where a command reads: a connection string, an optional ACL credential and a key prefix.
    /// The password stays inside the <see cref="PSCredential"/> until the connection is made;
    /// messages and error targets use <see cref="DisplayName"/>, which never holds it.
    /// </summary>
    internal sealed class ConnectionTarget
    {
        private const string ClientName = "MonarchLogs.PowerShell";

        private ConnectionTarget(string connectionString, PSCredential? credential, string prefix)
        {
            ConnectionString = connectionString;
            Credential = credential;
            Prefix = prefix;
        }

        public string ConnectionString { get; }

        public PSCredential? Credential { get; }

        public string Prefix { get; }

        /// <summary>
        /// The parameters given win; then the session default of Connect-MonarchLog; then
        /// $env:MONARCHLOGS_CONNECTION; then localhost:6379. A session credential goes only with
        /// the session's own connection string, never to a server named on the command line.
        /// </summary>
        public static ConnectionTarget Resolve(string? connectionString, PSCredential? credential, string? prefix, ConnectionTarget? sessionDefault)
        {
            if (credential == PSCredential.Empty) credential = null;
            var fromSession = string.IsNullOrEmpty(connectionString) && sessionDefault is not null;
            var resolvedConnection = !string.IsNullOrEmpty(connectionString)
                ? connectionString!
                : sessionDefault?.ConnectionString ?? StoreConnection.DefaultFromEnvironment();
            var resolvedCredential = credential ?? (fromSession ? sessionDefault!.Credential : null);
            var resolvedPrefix = !string.IsNullOrEmpty(prefix) ? prefix! : sessionDefault?.Prefix ?? StorageFormat.DefaultPrefix;
            return new ConnectionTarget(resolvedConnection, resolvedCredential, resolvedPrefix);
        }

        /// <summary>
        /// The connection as errors and messages may show it: the connection string without any
        /// password written into it, or a placeholder when the string cannot be read.
        /// </summary>
        public string DisplayName
        {
            get
            {
                try
                {
                    return StoreConnection.Describe(ConfigurationOptions.Parse(ConnectionString));
                }
                catch (ArgumentException)
                {
                    return "(connection string that cannot be read)";
                }
            }
        }

        public ConfigurationOptions CreateOptions()
        {
            var network = Credential?.GetNetworkCredential();
            return StoreConnection.CreateOptions(ConnectionString, network?.UserName, network?.Password, ClientName);
        }

        /// <summary>
        /// Identifies one connection in the session cache: the target and the effective user and
        /// password, from -Credential or written in the connection string. The password enters
        /// only as a hash, so a different password never reuses a connection made with another,
        /// and the key itself reveals nothing.
        /// </summary>
        public static string CacheKey(ConfigurationOptions options)
        {
            string passwordHash;
            using (var sha = SHA256.Create())
            {
                passwordHash = Convert.ToBase64String(sha.ComputeHash(Encoding.UTF8.GetBytes(options.Password ?? string.Empty)));
            }

            return StoreConnection.Describe(options) + "\n" + (options.User ?? string.Empty) + "\n" + passwordHash;
        }
    }
}
