using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using StackExchange.Redis;

namespace MonarchLogs.Testing
{
    /// <summary>
    /// A master, a replica and three sentinels on loopback (<c>valkey-server sentinel.conf --sentinel</c>),
    /// watching the master as <see cref="ServiceName"/>. A failover goes through <c>SENTINEL FAILOVER</c>.
    /// </summary>
    public sealed class SentinelGroup : IAsyncDisposable, IDisposable
    {
        public const string ServiceName = "mymaster";
        private readonly List<Process> _sentinels;
        private readonly string _directory;

        private SentinelGroup(ValkeyServer master, ValkeyServer replica, List<Process> sentinels, List<int> sentinelPorts, string directory)
        {
            Master = master;
            Replica = replica;
            _sentinels = sentinels;
            SentinelPorts = sentinelPorts;
            _directory = directory;
        }

        /// <summary>The server that was master at start.</summary>
        public ValkeyServer Master { get; }

        /// <summary>The server that was replica at start.</summary>
        public ValkeyServer Replica { get; }

        public IReadOnlyList<int> SentinelPorts { get; }

        /// <summary>The connection string a user gives: the sentinels and the service name.</summary>
        public string ConnectionString => string.Join(",", SentinelPorts.Select(p => "127.0.0.1:" + p)) + ",serviceName=" + ServiceName;

        public static async Task<SentinelGroup> StartAsync(params string[] serverArguments)
        {
            // A replica's first full sync starts at once, not after Valkey's default 5 s delay.
            serverArguments = serverArguments.Concat(new[] { "--repl-diskless-sync-delay", "0" }).ToArray();
            var master = await ValkeyServer.StartAsync(serverArguments).ConfigureAwait(false);
            ValkeyServer? replica = null;
            var sentinels = new List<Process>();
            var directory = Path.Combine(Path.GetTempPath(), "monarchlogs-sentinel-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(directory);
            try
            {
                replica = await ValkeyServer.StartAsync(serverArguments.Concat(new[] { "--replicaof", "127.0.0.1", master.Port.ToString() }).ToArray()).ConfigureAwait(false);
                await WaitAsync(async () => (await ValkeyCli.RunAsync(new[] { "-p", replica.Port.ToString(), "INFO", "replication" }).ConfigureAwait(false)).Contains("master_link_status:up"), "the replica to sync").ConfigureAwait(false);
                var ports = new List<int>();
                for (var i = 0; i < 3; i++)
                {
                    var port = LoopbackPorts.ForClusterNode();
                    var config = Path.Combine(directory, $"sentinel-{port}.conf");
                    File.WriteAllText(config, string.Join("\n",
                        $"port {port}",
                        "bind 127.0.0.1",
                        $"dir {directory}",
                        $"sentinel monitor {ServiceName} 127.0.0.1 {master.Port} 2",
                        $"sentinel down-after-milliseconds {ServiceName} 1000",
                        $"sentinel failover-timeout {ServiceName} 10000",
                        $"sentinel parallel-syncs {ServiceName} 1",
                        ""));
                    var start = new ProcessStartInfo("valkey-server") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
                    start.ArgumentList.Add(config);
                    start.ArgumentList.Add("--sentinel");
                    var process = Process.Start(start) ?? throw new IOException("valkey-server --sentinel did not start.");
                    process.OutputDataReceived += (_, _) => { };
                    process.ErrorDataReceived += (_, _) => { };
                    process.BeginOutputReadLine();
                    process.BeginErrorReadLine();
                    sentinels.Add(process);
                    ports.Add(port);
                }

                var group = new SentinelGroup(master, replica, sentinels, ports, directory);
                await WaitAsync(async () =>
                {
                    foreach (var port in ports)
                    {
                        var text = await ValkeyCli.RunAsync(new[] { "-p", port.ToString(), "SENTINEL", "REPLICAS", ServiceName }).ConfigureAwait(false);
                        var sentinelsSeen = await ValkeyCli.RunAsync(new[] { "-p", port.ToString(), "SENTINEL", "SENTINELS", ServiceName }).ConfigureAwait(false);
                        if (!text.Contains(replica.Port.ToString()) || sentinelsSeen.Split('\n').Count(l => l == "name") < 2) return false;
                    }

                    return true;
                }, "the sentinels to know the replica and each other").ConfigureAwait(false);
                return group;
            }
            catch
            {
                foreach (var process in sentinels) Kill(process);
                replica?.Dispose();
                master.Dispose();
                throw;
            }
        }

        /// <summary>The port of the master as the sentinels name it now.</summary>
        public async Task<int> CurrentMasterPortAsync()
        {
            var text = await ValkeyCli.RunAsync(new[] { "-p", SentinelPorts[0].ToString(), "SENTINEL", "GET-MASTER-ADDR-BY-NAME", ServiceName }).ConfigureAwait(false);
            return int.Parse(text.Split('\n', StringSplitOptions.RemoveEmptyEntries)[1].Trim());
        }

        /// <summary>Asks the sentinels to fail over, and waits until the other server is master and the old one its replica.</summary>
        public async Task<int> FailoverAsync()
        {
            var before = await CurrentMasterPortAsync().ConfigureAwait(false);
            await ValkeyCli.RunAsync(new[] { "-p", SentinelPorts[0].ToString(), "SENTINEL", "FAILOVER", ServiceName }).ConfigureAwait(false);
            await WaitAsync(async () => await CurrentMasterPortAsync().ConfigureAwait(false) != before, "the sentinels to name a new master").ConfigureAwait(false);
            var after = await CurrentMasterPortAsync().ConfigureAwait(false);
            await WaitAsync(async () =>
                (await ValkeyCli.RunAsync(new[] { "-p", before.ToString(), "INFO", "replication" }).ConfigureAwait(false)).Contains("master_link_status:up"),
                "the old master to follow the new one").ConfigureAwait(false);
            return after;
        }

        /// <summary>A direct connection to the current master, for assertions.</summary>
        public async Task<ConnectionMultiplexer> ConnectToMasterAsync() =>
            await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{await CurrentMasterPortAsync().ConfigureAwait(false)},abortConnect=false,allowAdmin=true").ConfigureAwait(false);

        private static async Task WaitAsync(Func<Task<bool>> condition, string what)
        {
            var clock = Stopwatch.StartNew();
            while (true)
            {
                try
                {
                    if (await condition().ConfigureAwait(false)) return;
                }
                catch (IOException)
                {
                }

                if (clock.Elapsed > TimeSpan.FromSeconds(30)) throw new TimeoutException("Timed out waiting for " + what + ".");
                await Task.Delay(100).ConfigureAwait(false);
            }
        }

        private static void Kill(Process process)
        {
            try
            {
                if (!process.HasExited) process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }
            catch (InvalidOperationException)
            {
            }

            process.Dispose();
        }

        public void Dispose()
        {
            foreach (var process in _sentinels) Kill(process);
            Replica.Dispose();
            Master.Dispose();
            try
            {
                Directory.Delete(_directory, recursive: true);
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
    }
}
