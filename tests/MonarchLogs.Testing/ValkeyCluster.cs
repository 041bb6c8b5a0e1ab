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
    /// A throwaway Valkey Cluster on loopback: three masters with one replica each, made with
    /// <c>valkey-server --cluster-enabled yes</c> and <c>valkey-cli --cluster create</c>, as an
    /// operator would. Resharding and failover go through the same tools.
    /// </summary>
    public sealed class ValkeyCluster : IAsyncDisposable, IDisposable
    {
        private ValkeyCluster(IReadOnlyList<ValkeyServer> nodes)
        {
            Nodes = nodes;
        }

        public IReadOnlyList<ValkeyServer> Nodes { get; }

        /// <summary>A connection string naming one node, as a user would give it; the client finds the rest.</summary>
        public string ConnectionString => Nodes[0].ConnectionString;

        public static async Task<ValkeyCluster> StartAsync(int masters = 3, int replicasPerMaster = 1)
        {
            var nodes = new List<ValkeyServer>();
            try
            {
                for (var i = 0; i < masters * (1 + replicasPerMaster); i++)
                {
                    var port = LoopbackPorts.ForClusterNode();
                    nodes.Add(await ValkeyServer.StartOnPortAsync(port,
                        "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000",
                        "--appendonly", "no", "--repl-diskless-sync-delay", "0").ConfigureAwait(false));
                }

                var arguments = new List<string> { "--cluster", "create" };
                arguments.AddRange(nodes.Select(n => "127.0.0.1:" + n.Port));
                arguments.AddRange(new[] { "--cluster-replicas", replicasPerMaster.ToString(), "--cluster-yes" });
                await ValkeyCli.RunAsync(arguments).ConfigureAwait(false);
                var cluster = new ValkeyCluster(nodes);
                await cluster.WaitUntilHealthyAsync().ConfigureAwait(false);
                return cluster;
            }
            catch
            {
                foreach (var node in nodes) node.Dispose();
                throw;
            }
        }

        /// <summary>Waits until every node says the cluster is ok and all 16384 slots are served.</summary>
        public async Task WaitUntilHealthyAsync(TimeSpan? timeout = null)
        {
            var clock = Stopwatch.StartNew();
            while (true)
            {
                var healthy = true;
                foreach (var node in Nodes.Where(n => n.IsRunning))
                {
                    var info = await ValkeyCli.RunAsync(new[] { "-p", node.Port.ToString(), "CLUSTER", "INFO" }).ConfigureAwait(false);
                    if (!info.Contains("cluster_state:ok") || !info.Contains("cluster_slots_ok:16384")) healthy = false;
                }

                if (healthy) return;
                if (clock.Elapsed > (timeout ?? TimeSpan.FromSeconds(30))) throw new TimeoutException("The cluster did not become healthy.");
                await Task.Delay(200).ConfigureAwait(false);
            }
        }

        /// <summary>A client connection for test assertions.</summary>
        public ConnectionMultiplexer Connect() => ConnectionMultiplexer.Connect(ConnectionString + ",abortConnect=false,allowAdmin=true");

        /// <summary>The node ids and ports of the current masters.</summary>
        public async Task<IReadOnlyList<(string Id, int Port)>> MastersAsync()
        {
            var text = await ValkeyCli.RunAsync(new[] { "-p", Nodes.First(n => n.IsRunning).Port.ToString(), "CLUSTER", "NODES" }).ConfigureAwait(false);
            return text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(line => line.Split(' '))
                .Where(parts => parts.Length > 2 && parts[2].Contains("master") && !parts[2].Contains("fail"))
                .Select(parts => (parts[0], int.Parse(parts[1].Split('@')[0].Split(':')[1])))
                .ToList();
        }

        /// <summary>Moves <paramref name="slots"/> slots from one master to another with valkey-cli --cluster reshard.</summary>
        public async Task ReshardAsync(string fromId, string toId, int slots)
        {
            await ValkeyCli.RunAsync(new[]
            {
                "--cluster", "reshard", "127.0.0.1:" + Nodes.First(n => n.IsRunning).Port,
                "--cluster-from", fromId, "--cluster-to", toId, "--cluster-slots", slots.ToString(), "--cluster-yes",
            }).ConfigureAwait(false);
        }

        /// <summary>Fails a master over to its replica in a coordinated way (CLUSTER FAILOVER on the replica).</summary>
        public async Task<int> FailoverAsync(int masterPort)
        {
            var nodes = await ValkeyCli.RunAsync(new[] { "-p", masterPort.ToString(), "CLUSTER", "NODES" }).ConfigureAwait(false);
            var masterId = nodes.Split('\n').Select(l => l.Split(' ')).First(p => p.Length > 2 && p[2].Contains("myself"))[0];
            var replica = nodes.Split('\n').Select(l => l.Split(' ')).First(p => p.Length > 3 && p[3] == masterId);
            var replicaPort = int.Parse(replica[1].Split('@')[0].Split(':')[1]);
            await ValkeyCli.RunAsync(new[] { "-p", replicaPort.ToString(), "CLUSTER", "FAILOVER" }).ConfigureAwait(false);
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < TimeSpan.FromSeconds(20))
            {
                var role = await ValkeyCli.RunAsync(new[] { "-p", replicaPort.ToString(), "ROLE" }).ConfigureAwait(false);
                if (role.StartsWith("master", StringComparison.Ordinal)) return replicaPort;
                await Task.Delay(100).ConfigureAwait(false);
            }

            throw new TimeoutException("The replica did not take over.");
        }

        public void Dispose()
        {
            foreach (var node in Nodes) node.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return default;
        }
    }

    /// <summary>Runs valkey-cli and returns what it printed; a non-zero exit is an exception with its output.</summary>
    public static class ValkeyCli
    {
        public static async Task<string> RunAsync(IEnumerable<string> arguments)
        {
            var start = new ProcessStartInfo("valkey-cli") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var argument in arguments) start.ArgumentList.Add(argument);
            using var process = Process.Start(start) ?? throw new IOException("valkey-cli did not start.");
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync().ConfigureAwait(false);
            if (process.ExitCode != 0) throw new IOException($"valkey-cli {string.Join(' ', start.ArgumentList)} failed: {await output}{await error}");
            return await output.ConfigureAwait(false);
        }
    }
}
