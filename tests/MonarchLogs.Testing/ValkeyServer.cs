using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using StackExchange.Redis;

namespace MonarchLogs.Testing
{
    /// <summary>
    /// A throwaway valkey-server on a free loopback port with its own temporary folder. It can be
    /// stopped and started again on the same port; <see cref="StopAsync"/> with save keeps the
    /// data across the restart, as a persistent production server would. It can also be killed
    /// (<see cref="Kill"/>) or frozen (<see cref="Pause"/>) for the fault scenarios. Started with
    /// <see cref="StartWithTlsAsync"/>, it speaks TLS only, with a certificate signed by a throwaway CA.
    /// </summary>
    public sealed class ValkeyServer : IAsyncDisposable, IDisposable
    {
        private readonly string _directory;
        private readonly string[] _extraArguments;
        private Process? _process;

        private ValkeyServer(int port, string directory, string[] extraArguments)
        {
            Port = port;
            _directory = directory;
            _extraArguments = extraArguments;
        }

        /// <summary>The port it listens on: its TLS port when it speaks TLS.</summary>
        public int Port { get; }

        public string Directory => _directory;

        /// <summary>The CA that signed its certificate, or null when it speaks plain TCP.</summary>
        public TestCertificateAuthority? CertificateAuthority { get; private set; }

        public bool UsesTls => CertificateAuthority is not null;

        /// <summary>Its address as host:port.</summary>
        public string Endpoint => $"127.0.0.1:{Port}";

        /// <summary>Connection string for StackExchange.Redis and for the cmdlets (with <c>ssl=true</c> when it speaks TLS).</summary>
        public string ConnectionString => UsesTls ? Endpoint + ",ssl=true" : Endpoint;

        public bool IsRunning => _process is { HasExited: false };

        /// <summary>Starts a server on plain TCP; <paramref name="extraArguments"/> go on its command line.</summary>
        public static Task<ValkeyServer> StartAsync(params string[] extraArguments) => StartAsync(tls: false, null, extraArguments);

        /// <summary>
        /// Starts a server that speaks TLS only (no plain port), with a server certificate for
        /// localhost and 127.0.0.1 signed by <paramref name="authority"/>, or by a new throwaway CA
        /// made in its folder. Clients need not present a certificate.
        /// </summary>
        public static Task<ValkeyServer> StartWithTlsAsync(TestCertificateAuthority? authority = null, params string[] extraArguments) =>
            StartAsync(tls: true, authority, extraArguments);

        /// <summary>Starts a replica of this server (TLS with the same CA when this one speaks TLS).</summary>
        public Task<ValkeyServer> StartReplicaAsync()
        {
            var replicaOf = new[] { "--replicaof", "127.0.0.1", Port.ToString() };
            return UsesTls
                ? StartWithTlsAsync(CertificateAuthority, new[] { "--tls-replication", "yes" }.Concat(replicaOf).ToArray())
                : StartAsync(replicaOf);
        }

        private static async Task<ValkeyServer> StartAsync(bool tls, TestCertificateAuthority? authority, string[] extraArguments)
        {
            Exception? last = null;
            for (var attempt = 0; attempt < 5; attempt++)
            {
                var directory = Path.Combine(Path.GetTempPath(), "monarchlogs-valkey-" + Guid.NewGuid().ToString("N"));
                System.IO.Directory.CreateDirectory(directory);
                var server = new ValkeyServer(FreePort(), directory, extraArguments);
                try
                {
                    if (tls) server.CertificateAuthority = authority ?? TestCertificateAuthority.Create(directory);
                    await server.StartAgainAsync().ConfigureAwait(false);
                    return server;
                }
                catch (Exception ex) when (ex is IOException || ex is TimeoutException)
                {
                    last = ex;
                    server.Dispose();
                }
            }

            throw new InvalidOperationException("Could not start valkey-server.", last);
        }

        /// <summary>Starts a server on the given port (a cluster node needs a port whose bus port, +10000, is free too).</summary>
        public static async Task<ValkeyServer> StartOnPortAsync(int port, params string[] extraArguments)
        {
            var directory = Path.Combine(Path.GetTempPath(), "monarchlogs-valkey-" + Guid.NewGuid().ToString("N"));
            System.IO.Directory.CreateDirectory(directory);
            var server = new ValkeyServer(port, directory, extraArguments);
            try
            {
                await server.StartAgainAsync().ConfigureAwait(false);
                return server;
            }
            catch
            {
                server.Dispose();
                throw;
            }
        }

        /// <summary>Starts the server again on the same port and folder (after <see cref="StopAsync"/>).</summary>
        public async Task StartAgainAsync()
        {
            if (IsRunning) return;
            var start = new ProcessStartInfo(FindExecutable())
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = _directory,
            };
            foreach (var argument in new[]
                     {
                         "--bind", "127.0.0.1", "--dir", _directory, "--save", "",
                         "--appendonly", "no", "--daemonize", "no", "--protected-mode", "yes", "--logfile", "valkey.log",
                     }.Concat(ListeningArguments()))
            {
                start.ArgumentList.Add(argument);
            }

            foreach (var argument in _extraArguments) start.ArgumentList.Add(argument);
            _process = Process.Start(start) ?? throw new IOException("valkey-server did not start.");
            _process.OutputDataReceived += (_, _) => { };
            _process.ErrorDataReceived += (_, _) => { };
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
            await WaitUntilAnsweringAsync().ConfigureAwait(false);
        }

        private string[] ListeningArguments()
        {
            if (CertificateAuthority is null) return new[] { "--port", Port.ToString() };
            var certificate = Path.Combine(_directory, "server.crt");
            var key = Path.Combine(_directory, "server.key");
            if (!File.Exists(certificate)) (certificate, key) = CertificateAuthority.IssueServerCertificate(_directory);
            return new[]
            {
                "--port", "0", "--tls-port", Port.ToString(), "--tls-cert-file", certificate, "--tls-key-file", key,
                "--tls-ca-cert-file", CertificateAuthority.CertificatePath, "--tls-auth-clients", "no",
            };
        }

        /// <summary>Stops the server; with <paramref name="save"/> its data is written to disk and loaded on the next start.</summary>
        public async Task StopAsync(bool save = true)
        {
            if (!IsRunning) return;
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port).ConfigureAwait(false);
                await using var stream = await OpenStreamAsync(client).ConfigureAwait(false);
                var command = save ? "SHUTDOWN SAVE\r\n" : "SHUTDOWN NOSAVE\r\n";
                var bytes = System.Text.Encoding.ASCII.GetBytes(command);
                await stream.WriteAsync(bytes).ConfigureAwait(false);
                await stream.FlushAsync().ConfigureAwait(false);
            }
            catch (SocketException)
            {
            }
            catch (IOException)
            {
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _process!.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                _process!.Kill(entireProcessTree: true);
            }
        }

        /// <summary>
        /// Kills the server at once (SIGKILL), as a crash or the kernel's OOM killer would: nothing
        /// is saved on the way out, and what it had not yet written to its append-only file is lost.
        /// <see cref="StartAgainAsync"/> starts it again from what is on disk.
        /// </summary>
        public void Kill()
        {
            if (!IsRunning) return;
            _process!.Kill();
            _process.WaitForExit();
        }

        /// <summary>Waits for the server to exit by itself, after a SHUTDOWN the test sent its own way.</summary>
        public async Task WaitForExitAsync(TimeSpan timeout)
        {
            if (!IsRunning) return;
            using var cancel = new CancellationTokenSource(timeout);
            await _process!.WaitForExitAsync(cancel.Token).ConfigureAwait(false);
        }

        /// <summary>Freezes the server process (SIGSTOP): connections stay open and nothing answers, as on a stalled host.</summary>
        public void Pause() => Signal(SignalStop);

        /// <summary>Lets a paused server go on (SIGCONT).</summary>
        public void Resume() => Signal(SignalContinue);

        // Linux signal numbers; sent through libc, so no kill command (procps) need be installed.
        private const int SignalContinue = 18;
        private const int SignalStop = 19;

        [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
        private static extern int SendSignal(int pid, int signal);

        private void Signal(int signal)
        {
            if (SendSignal(_process!.Id, signal) != 0) throw new IOException($"Sending signal {signal} to valkey-server failed (errno {System.Runtime.InteropServices.Marshal.GetLastWin32Error()}).");
        }

        /// <summary>A dedicated connection for test assertions (not the one the code under test uses).</summary>
        public ConnectionMultiplexer Connect()
        {
            // A test host busy with parallel tests may take seconds to read a reply it has: wait longer than the default 5 s.
            var options = ConfigurationOptions.Parse(ConnectionString + ",abortConnect=false,allowAdmin=true,syncTimeout=20000,asyncTimeout=20000");
            if (CertificateAuthority is not null) options.TrustIssuer(CertificateAuthority.CertificatePath);
            return ConnectionMultiplexer.Connect(options);
        }

        /// <summary>
        /// The harness's own raw connection (start-up probe, shutdown): over TLS it accepts the
        /// server's certificate unchecked, since it only ever talks to the server it started.
        /// </summary>
        private async Task<Stream> OpenStreamAsync(TcpClient client)
        {
            if (CertificateAuthority is null) return client.GetStream();
            var ssl = new SslStream(client.GetStream(), leaveInnerStreamOpen: false, (_, _, _, _) => true);
            await ssl.AuthenticateAsClientAsync("localhost").ConfigureAwait(false);
            return ssl;
        }

        public void Dispose()
        {
            try
            {
                if (IsRunning)
                {
                    _process!.Kill(entireProcessTree: true);
                    _process.WaitForExit(5000);
                }
            }
            catch (InvalidOperationException)
            {
            }

            _process?.Dispose();
            try
            {
                System.IO.Directory.Delete(_directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return default;
        }

        private async Task WaitUntilAnsweringAsync()
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (DateTime.UtcNow < deadline)
            {
                if (_process!.HasExited)
                {
                    var log = Path.Combine(_directory, "valkey.log");
                    throw new IOException("valkey-server exited at start: " + (File.Exists(log) ? File.ReadAllText(log) : "no log"));
                }

                try
                {
                    using var client = new TcpClient();
                    await client.ConnectAsync(IPAddress.Loopback, Port).ConfigureAwait(false);
                    await using var stream = await OpenStreamAsync(client).ConfigureAwait(false);
                    await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes("PING\r\n")).ConfigureAwait(false);
                    var buffer = new byte[64];
                    var read = await stream.ReadAsync(buffer).ConfigureAwait(false);
                    if (read > 0 && System.Text.Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal)) return;
                }
                catch (SocketException)
                {
                }
                catch (IOException)
                {
                }
                catch (System.Security.Authentication.AuthenticationException)
                {
                }

                await Task.Delay(50).ConfigureAwait(false);
            }

            throw new TimeoutException($"valkey-server on port {Port} did not answer within 10 s.");
        }

        private static int FreePort()
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            return port;
        }

        private static string FindExecutable()
        {
            foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
            {
                var candidate = Path.Combine(directory, "valkey-server");
                if (File.Exists(candidate)) return candidate;
            }

            if (File.Exists("/usr/bin/valkey-server")) return "/usr/bin/valkey-server";
            throw new FileNotFoundException("valkey-server is not installed; run ./build.sh setup (build/install-prerequisites.sh).");
        }
    }
}
