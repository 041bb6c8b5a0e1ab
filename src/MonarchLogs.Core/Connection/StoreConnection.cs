using System;
using System.Net;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using StackExchange.Redis;

namespace MonarchLogs.Core.Connection
{
    /// <summary>
    /// The one connection factory of the three hosts (the logging provider's writer, the cmdlets,
    /// the viewer): <see cref="CreateOptions"/> turns <see cref="StoreConnectionSettings"/> into
    /// connection options, and <see cref="ConnectAsync"/> (connect and wait), <see cref="ConnectInBackground"/>
    /// and <see cref="ConnectInBackgroundAsync"/> (a host that must start while Valkey is down)
    /// make the connection and check it the same way: it runs as its ACL user, and a refused TLS
    /// certificate, an unreachable server and wrong credentials are each told in one line (a
    /// <see cref="MonarchLogsException"/>) instead of a stack trace. Connections are made with
    /// abortConnect=false, so once made they reconnect by themselves after a Valkey restart.
    /// </summary>
    public static class StoreConnection
    {
        /// <summary>The error id of a trusted CA file that is missing, cannot be read or holds no certificate, or is given without TLS.</summary>
        public const string InvalidTrustedCertificateAuthority = "InvalidTrustedCertificateAuthority";

        /// <summary>The error id of a connection string that cannot be read or names no server.</summary>
        public const string InvalidConnectionString = "InvalidConnectionString";

        /// <summary>The error id of an empty key prefix.</summary>
        public const string InvalidPrefix = "InvalidPrefix";

        /// <summary>The environment variable that holds the default connection string.</summary>
        public const string EnvironmentVariable = "MONARCHLOGS_CONNECTION";

        /// <summary>The connection string used when none is given and <see cref="EnvironmentVariable"/> is not set.</summary>
        public const string DefaultConnectionString = "localhost:6379";

        /// <summary>How long a first connect may take unless the connection string sets connectTimeout.</summary>
        public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(3);

        /// <summary>The connection string from <see cref="EnvironmentVariable"/>, else <see cref="DefaultConnectionString"/>.</summary>
        public static string DefaultFromEnvironment()
        {
            var configured = Environment.GetEnvironmentVariable(EnvironmentVariable);
            return string.IsNullOrWhiteSpace(configured) ? DefaultConnectionString : configured!.Trim();
        }

        /// <summary>
        /// The connection options of <paramref name="settings"/>: its connection string
        /// (StackExchange.Redis syntax) with the ACL user and password given apart from it, the
        /// default connect timeout unless the string sets one, abortConnect=false, and, with TLS,
        /// the certificate check of <see cref="StoreConnectionSettings.TrustedCertificateAuthorityPath"/>.
        /// </summary>
        /// <param name="settings">Where the store lives.</param>
        /// <param name="clientName">The CLIENT SETNAME, unless the connection string names one.</param>
        /// <exception cref="MonarchLogsException"><c>InvalidConnectionString</c> or <c>InvalidTrustedCertificateAuthority</c>, in one line.</exception>
        public static ConfigurationOptions CreateOptions(StoreConnectionSettings settings, string? clientName = null)
        {
            if (settings is null) throw new ArgumentNullException(nameof(settings));
            var connectionString = settings.ConnectionString;
            if (string.IsNullOrWhiteSpace(connectionString))
            {
                throw new MonarchLogsException(InvalidConnectionString, MonarchErrorKind.InvalidArgument, "The connection string is empty; give host:port, for example localhost:6379.");
            }

            ConfigurationOptions options;
            try
            {
                options = ConfigurationOptions.Parse(connectionString);
            }
            catch (ArgumentException ex)
            {
                // The parser's message names the offending keyword only, never a password value.
                throw new MonarchLogsException(InvalidConnectionString, MonarchErrorKind.InvalidArgument, "The connection string is not valid: " + ex.Message, ex);
            }

            if (options.EndPoints.Count == 0)
            {
                throw new MonarchLogsException(InvalidConnectionString, MonarchErrorKind.InvalidArgument, "The connection string names no server; give host:port, for example localhost:6379.");
            }

            // A multiplexer made from these options keeps reconnecting after an outage.
            options.AbortOnConnectFail = false;
            if (connectionString.IndexOf("connectTimeout", StringComparison.OrdinalIgnoreCase) < 0)
            {
                options.ConnectTimeout = (int)DefaultConnectTimeout.TotalMilliseconds;
            }

            if (!string.IsNullOrEmpty(settings.User)) options.User = settings.User;
            if (settings.Password is not null) options.Password = settings.Password;
            if (!string.IsNullOrEmpty(clientName) && string.IsNullOrEmpty(options.ClientName)) options.ClientName = clientName;

            var authority = string.IsNullOrWhiteSpace(settings.TrustedCertificateAuthorityPath) ? null : settings.TrustedCertificateAuthorityPath;
            if (authority is null && !options.Ssl) return options;

            // The CA file is read now, so that a missing or broken one is told at start-up.
            var check = ServerCertificateCheck.Create(authority, options.SslHost ?? HostOf(options.EndPoints[0]));
            if (!options.Ssl)
            {
                throw new MonarchLogsException(InvalidTrustedCertificateAuthority, MonarchErrorKind.InvalidArgument,
                    $"A trusted certificate authority ('{authority}') is given, but the connection string does not turn TLS on: add ssl=true.");
            }

            options.CertificateValidation += check.Validate;
            CertificateChecks.Add(options, check);
            return options;
        }

        /// <summary>
        /// A copy of options made by <see cref="CreateOptions"/> that keeps their certificate check,
        /// for a connection to another endpoint of the same store (a Sentinel's master).
        /// </summary>
        internal static ConfigurationOptions CloneOptions(ConfigurationOptions options)
        {
            var clone = options.Clone();
            if (CertificateChecks.TryGetValue(options, out var check)) CertificateChecks.Add(clone, check);
            return clone;
        }

        private static readonly ConditionalWeakTable<ConfigurationOptions, ServerCertificateCheck> CertificateChecks =
            new ConditionalWeakTable<ConfigurationOptions, ServerCertificateCheck>();

        private static string HostOf(EndPoint endpoint) => endpoint switch
        {
            DnsEndPoint dns => dns.Host,
            IPEndPoint ip => ip.Address.ToString(),
            _ => EndPointCollection.ToString(endpoint),
        };

        /// <summary>The connection target as text safe to show: endpoints and options, never the password.</summary>
        public static string Describe(ConfigurationOptions options) => options.ToString(includePassword: false);

        /// <summary>
        /// A connection string as text safe to show (endpoints and options, never a password
        /// written into it), or null when it cannot be read.
        /// </summary>
        public static string? TryDescribe(string connectionString)
        {
            try
            {
                return Describe(ConfigurationOptions.Parse(connectionString));
            }
            catch (ArgumentException)
            {
                return null;
            }
        }

        /// <summary>
        /// Connects and waits for the first connection (at most the connect timeout), for a host
        /// that runs one command and reports (the cmdlets). A server that does not answer gives
        /// <c>ValkeyUnreachable</c>; a TLS certificate that is not trusted gives
        /// <c>ValkeyCertificateRejected</c>, refused credentials <c>ValkeyAuthenticationFailed</c>, at once.
        /// </summary>
        public static async Task<ConnectionMultiplexer> ConnectAsync(ConfigurationOptions options, CancellationToken cancellationToken = default)
        {
            // A refused or silent port is told at once by a plain TCP connect; StackExchange.Redis
            // sometimes waits out its whole connect timeout before it reports a refused connection.
            if (!await EndpointProbe.AnyAcceptsAsync(options, cancellationToken).ConfigureAwait(false)) throw Unreachable(options);

            // The first connect aborts on failure, so that the exception says why (refused login or
            // no answer) as soon as it is known, instead of an unconnected multiplexer that retries
            // in the background. Once connected, a multiplexer reconnects by itself either way.
            // One attempt: retrying a refused connection or login only makes the user wait.
            var first = options.Clone();
            first.AbortOnConnectFail = true;
            first.ConnectRetry = 1;
            ConnectionMultiplexer connection;
            try
            {
                connection = await FirstConnectAsync(first, cancellationToken).ConfigureAwait(false);
            }
            catch (RedisConnectionException) when (CertificateRefusal(options) is { } refused)
            {
                // A refused handshake is reported as an authentication failure too: ask the check first.
                throw refused;
            }
            catch (RedisConnectionException ex) when (ex.FailureType == ConnectionFailureType.AuthenticationFailure || StoreErrors.IsAuthenticationError(ex.Message))
            {
                throw new MonarchLogsException(StoreErrors.AuthenticationFailed, MonarchErrorKind.PermissionDenied,
                    $"Valkey at {DescribeEndpoints(options)} refused the user name or password.");
            }
            catch (RedisConnectionException)
            {
                throw Unreachable(options);
            }

            try
            {
                Guard(connection, options);
                await EnsureVerifiedAsync(connection, cancellationToken).ConfigureAwait(false);
                return connection;
            }
            catch
            {
                connection.Dispose();
                throw;
            }
        }

        /// <summary>
        /// Connects without waiting for Valkey (abortConnect=false: the connection keeps trying in
        /// the background), for a host that must start while Valkey is down (the viewer). Its
        /// commands are checked as those of <see cref="ConnectAsync"/> are, by <see cref="EnsureVerifiedAsync"/>.
        /// </summary>
        public static ConnectionMultiplexer ConnectInBackground(ConfigurationOptions options)
        {
            var connection = ConnectionMultiplexer.Connect(options);
            Guard(connection, options);
            return connection;
        }

        /// <summary>
        /// As <see cref="ConnectInBackground"/>, without blocking a thread during the first attempt,
        /// which <paramref name="cancellationToken"/> gives up (a host shutting down): the logging
        /// provider's writer.
        /// </summary>
        public static async Task<ConnectionMultiplexer> ConnectInBackgroundAsync(ConfigurationOptions options, CancellationToken cancellationToken = default)
        {
            var connection = await FirstConnectAsync(options, cancellationToken).ConfigureAwait(false);
            Guard(connection, options);
            return connection;
        }

        /// <summary>The first connect, given up on cancellation; the connect goes on without us, and what it makes is closed so nothing keeps reconnecting.</summary>
        private static async Task<ConnectionMultiplexer> FirstConnectAsync(ConfigurationOptions options, CancellationToken cancellationToken)
        {
            var connect = ConnectionMultiplexer.ConnectAsync(options, log: null);
            try
            {
                return await connect.WithCancellation(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                _ = connect.ContinueWith(t => t.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
                throw;
            }
        }

        /// <summary>
        /// Makes <see cref="EnsureVerifiedAsync"/> check the connection after the first connect and
        /// after every reconnect (<see cref="ConnectionGuard"/>). A connection the certificate check refused keeps retrying in the
        /// background, and its commands would only say "no connection": the check's reason is told instead.
        /// </summary>
        private static void Guard(ConnectionMultiplexer connection, ConfigurationOptions options)
        {
            CertificateChecks.TryGetValue(options, out var certificate);
            var hasCredentials = !string.IsNullOrEmpty(options.User) || options.Password is not null;
            ConnectionGuard.Attach(connection, new ConnectionGuard(hasCredentials, string.IsNullOrEmpty(options.User) ? null : options.User, DescribeEndpoints(options), CloneOptions(options), certificate));
        }

        /// <summary>The refusal of the certificate check of <paramref name="options"/> at its last handshake, or null.</summary>
        private static MonarchLogsException? CertificateRefusal(ConfigurationOptions options) =>
            CertificateChecks.TryGetValue(options, out var check) && check.Rejection is { } reason ? ConnectionGuard.CertificateRefusal(DescribeEndpoints(options), reason) : null;


        /// <summary>
        /// What a failed command on a connection made here really means. A connection that cannot
        /// log in, or whose server's certificate is refused, keeps reconnecting, and its commands
        /// fail with "no connection available" (or a timeout) whose stated cause depends on the
        /// timing of the client's last attempt. So when the connection is down, a refused
        /// certificate gives <c>ValkeyCertificateRejected</c>; with credentials, one separate login
        /// is tried: refused credentials give <c>ValkeyAuthenticationFailed</c>. Anything else gives
        /// <paramref name="failure"/> back.
        /// </summary>
        public static async Task<Exception> ExplainFailureAsync(IConnectionMultiplexer connection, Exception failure, CancellationToken cancellationToken = default)
        {
            if (!(failure is RedisConnectionException || failure is RedisTimeoutException)) return failure;
            if (!ConnectionGuard.TryGet(connection, out var guard) || connection.IsConnected) return failure;
            if (guard.CertificateRefusal() is { } certificate) return certificate;
            if (!guard.HasCredentials) return failure;

            // Over plain TCP, one AUTH answers the question without a client's timing: WRONGPASS or not.
            if (!guard.Options.Ssl && await EndpointProbe.LoginRefusedAsync(guard.Options, cancellationToken).ConfigureAwait(false) is { } refused)
            {
                return refused ? guard.Refusal() : failure;
            }

            try
            {
                using var probe = await ConnectAsync(guard.Options, cancellationToken).ConfigureAwait(false);
                return failure;
            }
            catch (MonarchLogsException ex) when (ex.ErrorId == StoreErrors.AuthenticationFailed)
            {
                return ex;
            }
            catch (MonarchLogsException)
            {
                return failure;
            }
        }

        /// <summary>
        /// Checks a connection made here before it is used, as every reader and the append do:
        /// throws <c>ValkeyAuthenticationFailed</c> when it runs as another user than it logged in
        /// as, and <c>ValkeyCertificateRejected</c> when it is down because the server's TLS
        /// certificate was refused. Asks the server once per (re)connect; then it costs a field
        /// read. A connection that is down for another reason is left to the command that follows,
        /// which reports it as it always has.
        /// </summary>
        public static Task EnsureVerifiedAsync(IConnectionMultiplexer connection, CancellationToken cancellationToken = default) =>
            ConnectionGuard.VerifyAsync(connection, cancellationToken);

        /// <summary>
        /// Waits, at most <paramref name="wait"/>, for a shared connection that is reconnecting
        /// (after a server restart) to be up again; gives <c>ValkeyUnreachable</c> if it is not.
        /// </summary>
        public static async Task EnsureConnectedAsync(IConnectionMultiplexer connection, ConfigurationOptions options, TimeSpan wait, CancellationToken cancellationToken = default)
        {
            var deadline = DateTime.UtcNow + wait;
            while (!connection.IsConnected)
            {
                if (DateTime.UtcNow >= deadline) throw Unreachable(options);
                await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            }
        }

        /// <summary>The server(s) a connection string names, for messages: host:port only.</summary>
        public static string DescribeServers(string connectionString) => DescribeEndpoints(CreateOptions(new StoreConnectionSettings { ConnectionString = connectionString }));

        /// <summary>The server(s) of a connection, for messages: host:port only.</summary>
        public static string DescribeEndpoints(ConfigurationOptions options)
        {
            var names = new string[options.EndPoints.Count];
            for (var i = 0; i < names.Length; i++) names[i] = EndPointCollection.ToString(options.EndPoints[i]);
            return string.Join(", ", names);
        }

        private static MonarchLogsException Unreachable(ConfigurationOptions options) =>
            new MonarchLogsException("ValkeyUnreachable", MonarchErrorKind.ConnectionError,
                $"Cannot reach Valkey at {DescribeEndpoints(options)}: the connection was refused or got no answer within {options.ConnectTimeout / 1000.0:0.#} s. Check that it runs and that the connection string (or the {EnvironmentVariable} environment variable) is right.");

    }
}
