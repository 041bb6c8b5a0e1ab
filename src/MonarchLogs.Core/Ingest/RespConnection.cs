using System;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;
using StackExchange.Redis;

namespace MonarchLogs.Core.Ingest
{
    /// <summary>
    /// One plain RESP2 connection for the write path: TCP (TLS when the connection string says
    /// ssl=true), then AUTH, SELECT and CLIENT SETNAME as the connection string asks. It takes
    /// the same StackExchange.Redis connection string as everything else, so there is one way
    /// to say where Valkey is. With a trusted CA file, the server's certificate must chain to a
    /// CA in that file and to nothing else. Any failure leaves it broken; its owner opens a new one.
    /// </summary>
    internal sealed class RespConnection : IDisposable
    {
        private readonly Socket _socket;
        private readonly Stream _stream;

        private RespConnection(Socket socket, Stream stream)
        {
            _socket = socket;
            _stream = stream;
            Reader = new RespReader(stream);
        }

        public RespReader Reader { get; }

        /// <summary>Whether the write path can serve these options: one endpoint, no sentinel, tunnel or proxy.</summary>
        public static bool Supports(ConfigurationOptions options) =>
            options.EndPoints.Count == 1 && (options.EndPoints[0] is DnsEndPoint || options.EndPoints[0] is IPEndPoint) &&
            string.IsNullOrEmpty(options.ServiceName) && options.Tunnel is null && options.Proxy == Proxy.None;

        /// <summary>The error id of a TLS handshake that failed, most often a server certificate that is not accepted.</summary>
        public const string TlsHandshakeFailed = "ValkeyTlsHandshakeFailed";

        /// <summary>How long a connection may sit unused before a failure on it counts as its having gone stale.</summary>
        public static readonly TimeSpan StaleAfter = TimeSpan.FromSeconds(5);

        private int _lastUsed = Environment.TickCount;
        private bool _resumedAfterIdle;
        private long _repliesAtResume;

        /// <summary>
        /// Whether the connection sat unused for <see cref="StaleAfter"/> before its last send and
        /// has not answered since: the server or a firewall may have closed it meanwhile
        /// (Valkey's <c>timeout</c>), so a failure on it is worth one immediate try on a new one.
        /// </summary>
        public bool MayBeStale => _resumedAfterIdle && Reader.RepliesRead == Interlocked.Read(ref _repliesAtResume);

        /// <param name="trustedAuthorityPath">
        /// A PEM file of the CA (or CAs) that alone may sign the server's certificate; null to
        /// trust what the system trusts.
        /// </param>
        public static async Task<RespConnection> OpenAsync(ConfigurationOptions options, string? trustedAuthorityPath, CancellationToken cancellationToken)
        {
            var (host, port) = Target(options);
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };

            // Keep-alive probes keep a quiet connection open through firewalls and NAT.
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            RespConnection? connection = null;
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(options.ConnectTimeout);
                try
                {
#if NET8_0_OR_GREATER
                    await socket.ConnectAsync(host, port, timeout.Token).ConfigureAwait(false);
#else
                    using (timeout.Token.Register(socket.Dispose))
                    {
                        await socket.ConnectAsync(host, port).ConfigureAwait(false);
                    }
#endif
                }
                catch (Exception ex) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    throw new IOException($"Valkey at {host}:{port} did not accept a connection within {options.ConnectTimeout} ms.", ex);
                }

                Stream stream = new NetworkStream(socket, ownsSocket: true);
                if (options.Ssl)
                {
                    var targetHost = string.IsNullOrEmpty(options.SslHost) ? host : options.SslHost!;
                    string? refusal = null;
                    var validation = string.IsNullOrEmpty(trustedAuthorityPath)
                        ? null
                        : TrustOnly(LoadAuthorities(trustedAuthorityPath!), reason => refusal = reason + " (trusted: " + trustedAuthorityPath + ")");
                    var ssl = new SslStream(stream, leaveInnerStreamOpen: false, validation);
                    stream = ssl;
                    try
                    {
                        await ssl.AuthenticateAsClientAsync(targetHost, null, options.SslProtocols ?? SslProtocols.None, options.CheckCertificateRevocation).ConfigureAwait(false);
                    }
                    catch (AuthenticationException ex)
                    {
                        // Not transient: a certificate, a trust or a protocol setting does not change by itself.
                        throw new MonarchLogsException(TlsHandshakeFailed, MonarchErrorKind.PermissionDenied,
                            $"The TLS handshake with Valkey at {host}:{port} as {targetHost} failed: {refusal ?? ex.Message}", ex);
                    }
                }

                connection = new RespConnection(socket, stream);
                await connection.HandshakeAsync(options, timeout.Token).ConfigureAwait(false);
                return connection;
            }
            catch
            {
                connection?.Dispose();
                socket.Dispose();
                throw;
            }
        }

        public Task SendAsync(RespCommandBuffer commands, CancellationToken cancellationToken)
        {
            var now = Environment.TickCount;
            if (unchecked(now - Interlocked.Exchange(ref _lastUsed, now)) > StaleAfter.TotalMilliseconds)
            {
                Interlocked.Exchange(ref _repliesAtResume, Reader.RepliesRead);
                _resumedAfterIdle = true;
            }

            return _stream.WriteAsync(commands.Buffer, 0, commands.Length, cancellationToken);
        }

        public ValueTask<RespValue> ReadAsync(bool keepText, CancellationToken cancellationToken) =>
            Reader.ReadAsync(keepText, cancellationToken);

        /// <summary>
        /// Accepts a server certificate only if it chains to one of <paramref name="authorities"/>,
        /// whatever the system trusts, and only if it names the host asked for: a name mismatch
        /// or a missing certificate is refused however it is signed.
        /// </summary>
        internal static RemoteCertificateValidationCallback TrustOnly(X509Certificate2Collection authorities, Action<string> refused) =>
            (_, certificate, presented, errors) =>
            {
                if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
                {
                    refused("the server presented no certificate");
                    return false;
                }

                if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
                {
                    refused("the certificate does not name that host");
                    return false;
                }

                using var server = new X509Certificate2(certificate);
                using var chain = new X509Chain();
                // A private CA seldom publishes revocation lists; StackExchange.Redis's TrustIssuer does not check them either.
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                chain.ChainPolicy.ApplicationPolicy.Add(new Oid("1.3.6.1.5.5.7.3.1")); // server authentication

                // Intermediates the server sent help build the chain; they are not trusted for it.
                if (presented is not null)
                {
                    foreach (var element in presented.ChainElements) chain.ChainPolicy.ExtraStore.Add(element.Certificate);
                }

#if NET8_0_OR_GREATER
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
                if (chain.Build(server)) return true;
                refused("the certificate does not chain to the trusted certificate authority: " + Describe(chain));
                return false;
#else
                // No custom trust store here: build allowing an unknown root, then require that the
                // root is one of ours and that nothing else is wrong with the chain.
                chain.ChainPolicy.ExtraStore.AddRange(authorities);
                chain.ChainPolicy.VerificationFlags = X509VerificationFlags.AllowUnknownCertificateAuthority;
                var root = chain.Build(server) ? chain.ChainElements[chain.ChainElements.Count - 1].Certificate : null;
                if (root is not null && authorities.Cast<X509Certificate2>().Any(a => a.RawData.SequenceEqual(root.RawData)) &&
                    chain.ChainStatus.All(s => s.Status == X509ChainStatusFlags.NoError || s.Status == X509ChainStatusFlags.UntrustedRoot))
                {
                    return true;
                }

                refused("the certificate does not chain to the trusted certificate authority: " + Describe(chain));
                return false;
#endif
            };

        private static string Describe(X509Chain chain) =>
            chain.ChainStatus.Length == 0 ? "its root is another CA" : string.Join(", ", chain.ChainStatus.Select(s => s.Status.ToString()).Distinct());

        /// <summary>The CA certificates in a PEM file, read on every new connection so that a replaced file takes effect.</summary>
        internal static X509Certificate2Collection LoadAuthorities(string path)
        {
            var authorities = new X509Certificate2Collection();
#if NET8_0_OR_GREATER
            authorities.ImportFromPemFile(path);
#else
            authorities.Import(path);
#endif
            if (authorities.Count == 0) throw new CryptographicException($"The trusted certificate authority file {path} holds no certificate.");
            return authorities;
        }

        private async Task HandshakeAsync(ConfigurationOptions options, CancellationToken cancellationToken)
        {
            var commands = new RespCommandBuffer(512);
            var replies = 0;
            if (options.Password is not null)
            {
                // The password goes on the wire only; no message of this class ever holds it.
                if (string.IsNullOrEmpty(options.User))
                {
                    commands.BeginCommand(2);
                    commands.WriteBulk("AUTH");
                }
                else
                {
                    commands.BeginCommand(3);
                    commands.WriteBulk("AUTH");
                    commands.WriteBulk(options.User);
                }

                commands.WriteBulk(options.Password);
                replies++;
            }

            var selects = options.DefaultDatabase is int database && database != 0;
            if (selects)
            {
                commands.BeginCommand(2);
                commands.WriteBulk("SELECT");
                commands.WriteBulk(options.DefaultDatabase!.Value);
                replies++;
            }

            var name = string.IsNullOrEmpty(options.ClientName) ? null : options.ClientName!.Replace(' ', '-');
            if (name is not null)
            {
                commands.BeginCommand(3);
                commands.WriteBulk("CLIENT");
                commands.WriteBulk("SETNAME");
                commands.WriteBulk(name);
                replies++;
            }

            if (replies == 0) return;
            await SendAsync(commands, cancellationToken).ConfigureAwait(false);
            if (options.Password is not null)
            {
                var auth = await ReadAsync(true, cancellationToken).ConfigureAwait(false);
                if (auth.IsError)
                {
                    throw new MonarchLogsException("ValkeyAuthenticationFailed", MonarchErrorKind.PermissionDenied,
                        "Valkey refused the user name or password: " + auth.Text);
                }
            }

            if (selects)
            {
                var select = await ReadAsync(true, cancellationToken).ConfigureAwait(false);
                if (select.IsError) throw new RedisServerException(select.Text ?? "SELECT failed");
            }

            // A refused client name changes nothing about the writes.
            if (name is not null) await ReadAsync(false, cancellationToken).ConfigureAwait(false);
        }

        private static (string Host, int Port) Target(ConfigurationOptions options)
        {
            var defaultPort = options.Ssl ? 6380 : 6379;
            return options.EndPoints[0] switch
            {
                DnsEndPoint dns => (dns.Host, dns.Port == 0 ? defaultPort : dns.Port),
                IPEndPoint ip => (ip.Address.ToString(), ip.Port == 0 ? defaultPort : ip.Port),
                var other => throw new MonarchLogsException("InvalidConnectionString", MonarchErrorKind.InvalidArgument, "The endpoint " + other + " is not a host and port."),
            };
        }

        public void Dispose()
        {
            _stream.Dispose();
            _socket.Dispose();
        }
    }
}
