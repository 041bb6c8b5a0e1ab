using System;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using StackExchange.Redis;

namespace MonarchLogs.Core.Connection
{
    /// <summary>
    /// Plain TCP questions to a store's endpoints, asked apart from the client library so that
    /// their answer does not depend on its timing: does any endpoint accept a connection, and does
    /// the server refuse the credentials.
    /// </summary>
    internal static class EndpointProbe
    {
        /// <summary>
        /// Sends one AUTH to the first endpoint that answers: true when Valkey refuses the
        /// credentials, false when it takes them, null when it cannot tell (no answer, another reply).
        /// </summary>
        public static async Task<bool?> LoginRefusedAsync(ConfigurationOptions options, CancellationToken cancellationToken)
        {
            if (options.Password is null) return null;
            foreach (var endpoint in options.EndPoints)
            {
                var (host, port) = endpoint switch
                {
                    DnsEndPoint dns => (dns.Host, dns.Port),
                    IPEndPoint ip => (ip.Address.ToString(), ip.Port),
                    _ => (null, 0),
                };
                if (host is null) continue;
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(Math.Max(options.ConnectTimeout, 1000));
                try
                {
                    using var client = new TcpClient();
                    await client.ConnectAsync(host, port).WithCancellation(timeout.Token).ConfigureAwait(false);
                    var stream = client.GetStream();
                    var arguments = string.IsNullOrEmpty(options.User) ? new[] { "AUTH", options.Password } : new[] { "AUTH", options.User!, options.Password };
                    var request = new System.Text.StringBuilder("*").Append(arguments.Length).Append("\r\n");
                    foreach (var argument in arguments) request.Append('$').Append(System.Text.Encoding.UTF8.GetByteCount(argument)).Append("\r\n").Append(argument).Append("\r\n");
                    var bytes = System.Text.Encoding.UTF8.GetBytes(request.ToString());
                    await stream.WriteAsync(bytes, 0, bytes.Length, timeout.Token).ConfigureAwait(false);
                    var reply = new byte[256];
                    var read = await stream.ReadAsync(reply, 0, reply.Length, timeout.Token).WithCancellation(timeout.Token).ConfigureAwait(false);
                    var line = System.Text.Encoding.ASCII.GetString(reply, 0, read);
                    if (line.StartsWith("+OK", StringComparison.Ordinal)) return false;
                    if (StoreErrors.IsAuthenticationError(line) || line.StartsWith("-ERR invalid", StringComparison.Ordinal)) return true;
                    return null;
                }
                catch (Exception ex) when (ex is SocketException || ex is IOException || ex is OperationCanceledException && !cancellationToken.IsCancellationRequested)
                {
                }
            }

            return null;
        }


        public static async Task<bool> AnyAcceptsAsync(ConfigurationOptions options, CancellationToken cancellationToken)
        {
            var probes = new List<Task<bool>>();
            foreach (var endpoint in options.EndPoints)
            {
                if (endpoint is DnsEndPoint dns) probes.Add(ProbeAsync(dns.Host, dns.Port, options.ConnectTimeout, cancellationToken));
                else if (endpoint is IPEndPoint ip) probes.Add(ProbeAsync(ip.Address.ToString(), ip.Port, options.ConnectTimeout, cancellationToken));
                else return true; // a Unix socket or other endpoint: leave it to the client library
            }

            var results = await Task.WhenAll(probes).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            return Array.IndexOf(results, true) >= 0;
        }

        private static async Task<bool> ProbeAsync(string host, int port, int timeoutMilliseconds, CancellationToken cancellationToken)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(timeoutMilliseconds);
            using var client = new TcpClient();
            try
            {
                await client.ConnectAsync(host, port).WithCancellation(timeout.Token).ConfigureAwait(false);
                return true;
            }
            catch (Exception ex) when (ex is SocketException || ex is OperationCanceledException || ex is IOException)
            {
                return false;
            }
        }
    }
}
