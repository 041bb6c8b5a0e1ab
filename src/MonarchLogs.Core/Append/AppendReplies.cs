using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Format;
using StackExchange.Redis;

namespace MonarchLogs.Core.Append
{
    /// <summary>What the appenders of both formats do with the replies of a batch's commands.</summary>
    internal static class AppendReplies
    {
        /// <summary>Why a command has no result: its fault, or no reply within the reply timeout.</summary>
        public static Exception Failure(Task command, TimeSpan? replyTimeout) =>
            command.Exception?.InnerException
            ?? new TimeoutException(command.IsCanceled || replyTimeout is null ? "The command was cancelled by the client." : $"No reply within {replyTimeout.Value.TotalSeconds:0.#} s.");

        /// <summary>
        /// With replica acknowledgements, an item (a partition's run, a block) counts as stored only
        /// once that many replicas have it (WAIT on each master written to, after its appends on
        /// the same connection). Items a master took but its replicas did not confirm in time get
        /// a count of 0 and their partition a NOREPLICAS failure: the retry sends them again, so a
        /// failover that drops them from the demoted master loses nothing (and a slow replica may
        /// get them twice).
        /// </summary>
        public static async Task AwaitReplicasAsync(IConnectionMultiplexer connection, IDatabase db, IReadOnlyList<Partition> items, int[] counts, List<PartitionFailure> failures,
            int acknowledgements, TimeSpan timeout, CancellationToken cancellationToken)
        {
            var byServer = new Dictionary<System.Net.EndPoint, List<int>>();
            for (var r = 0; r < items.Count; r++)
            {
                if (counts[r] == 0) continue;
                var endpoint = await db.IdentifyEndpointAsync(items[r].StreamKey, CommandFlags.DemandMaster).ConfigureAwait(false);
                if (endpoint is null)
                {
                    Unconfirmed(r, "no master");
                    continue;
                }

                if (!byServer.TryGetValue(endpoint, out var list)) byServer[endpoint] = list = new List<int>();
                list.Add(r);
            }

            var waits = byServer.Keys.Select(endpoint => connection.GetServer(endpoint)
                .ExecuteAsync("WAIT", acknowledgements, (long)timeout.TotalMilliseconds)).ToArray();
            try
            {
                await Task.WhenAll(waits).WithCancellation(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
            }

            var i = 0;
            foreach (var pair in byServer)
            {
                var wait = waits[i++];
                var acknowledged = wait.Status == TaskStatus.RanToCompletion ? (long)wait.Result : -1;
                if (acknowledged >= acknowledgements) continue;
                foreach (var r in pair.Value) Unconfirmed(r, acknowledged < 0 ? "WAIT failed" : $"{acknowledged} of {acknowledgements} replicas within {timeout.TotalMilliseconds} ms");
            }

            void Unconfirmed(int r, string why)
            {
                counts[r] = 0;
                failures.RemoveAll(failure => failure.Partition.StreamKey == items[r].StreamKey);
                failures.Add(new PartitionFailure(items[r], StoreErrors.ClassifyServerReply("NOREPLICAS Not acknowledged by the replicas: " + why, items[r].StreamKey)));
            }
        }
    }
}
