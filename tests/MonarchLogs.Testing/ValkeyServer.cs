using System;
using System.Diagnostics;
using System.IO;
using System.Net;
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
    /// (<see cref="Kill"/>) or frozen (<see cref="Pause"/>) for the fault scenarios.
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

        public int Port { get; }

        public string Directory => _directory;

        /// <summary>Connection string for StackExchange.Redis and for the cmdlets.</summary>
        public string ConnectionString => $"127.0.0.1:{Port}";

        public bool IsRunning => _process is { HasExited: false };

        public static async Task<ValkeyServer> StartAsync(params string[] extraArguments)
        {
            Exception? last = null;
            for (var attempt = 0; attempt < 5; attempt++)
            {
                var directory = Path.Combine(Path.GetTempPath(), "monarchlogs-valkey-" + Guid.NewGuid().ToString("N"));
                System.IO.Directory.CreateDirectory(directory);
                var server = new ValkeyServer(FreePort(), directory, extraArguments);
                try
                {
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
                         "--port", Port.ToString(), "--bind", "127.0.0.1", "--dir", _directory, "--save", "",
                         "--appendonly", "no", "--daemonize", "no", "--protected-mode", "yes", "--logfile", "valkey.log",
                     })
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

        /// <summary>Stops the server; with <paramref name="save"/> its data is written to disk and loaded on the next start.</summary>
        public async Task StopAsync(bool save = true)
        {
            if (!IsRunning) return;
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port).ConfigureAwait(false);
                var command = save ? "SHUTDOWN SAVE\r\n" : "SHUTDOWN NOSAVE\r\n";
                var bytes = System.Text.Encoding.ASCII.GetBytes(command);
                await client.GetStream().WriteAsync(bytes).ConfigureAwait(false);
            }
            catch (SocketException)
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
        public void Pause() => Signal("STOP");

        /// <summary>Lets a paused server go on (SIGCONT).</summary>
        public void Resume() => Signal("CONT");

        private void Signal(string signal)
        {
            using var kill = Process.Start("kill", $"-{signal} {_process!.Id}") ?? throw new IOException("kill did not start.");
            kill.WaitForExit();
        }

        /// <summary>A dedicated connection for test assertions (not the one the code under test uses).</summary>
        public ConnectionMultiplexer Connect() =>
            ConnectionMultiplexer.Connect(ConnectionString + ",abortConnect=false,allowAdmin=true");

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
                    var stream = client.GetStream();
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
