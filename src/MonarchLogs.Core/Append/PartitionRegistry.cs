using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Format;
using StackExchange.Redis;

namespace MonarchLogs.Core.Append
{
    /// <summary>
    /// The registry and the notification of an appender. The registry names the partitions known
    /// to take writes (restoring it if someone removed it); a new partition is registered once its
    /// first entries are stored, so a key that refuses writes (of another type, say) is never
    /// listed for readers. Live tails are nudged on the notify channel after each batch.
    /// </summary>
    internal sealed class PartitionRegistry
    {
        private readonly StorageFormat _format;
        private readonly HashSet<string> _confirmed = new HashSet<string>(StringComparer.Ordinal);

        public PartitionRegistry(StorageFormat format) => _format = format;

        /// <summary>Writes the registry entries of the partitions already confirmed, beside the batch's appends.</summary>
        public Task RegisterKnown(IDatabase db, IEnumerable<Partition> partitions)
        {
            var known = partitions.Where(IsConfirmed).Select(Entry).ToArray();
            return known.Length > 0 ? db.HashSetAsync(_format.PartitionsKey, known) : Task.CompletedTask;
        }

        /// <summary>
        /// After a batch's replies: nudges the tails about <paramref name="written"/> when anything
        /// was <paramref name="stored"/>, registers the partitions stored for the first time, and
        /// answers the registry's failure, if any (theirs or <paramref name="registered"/>'s).
        /// </summary>
        public async Task<MonarchLogsException?> AfterBatchAsync(IDatabase db, IReadOnlyList<Partition> written, IEnumerable<Partition> storedInto, int stored, Task registered, CancellationToken cancellationToken)
        {
            if (stored > 0)
            {
                var notice = string.Join("\n", written.Select(partition => partition.StreamKey));
                await db.PublishAsync(RedisChannel.Literal(_format.NotifyChannel), notice, CommandFlags.FireAndForget).ConfigureAwait(false);
            }

            var registryFailure = registered.Status == TaskStatus.RanToCompletion ? null : StoreErrors.Classify(AppendReplies.Failure(registered, null), _format.PartitionsKey.ToString());
            var confirmed = storedInto.Where(Confirm).Select(Entry).ToArray();
            if (confirmed.Length == 0) return registryFailure;
            try
            {
                await db.HashSetAsync(_format.PartitionsKey, confirmed).WithCancellation(cancellationToken).ConfigureAwait(false);
                await db.PublishAsync(RedisChannel.Literal(_format.NotifyChannel), string.Join("\n", confirmed.Select(entry => (string?)entry.Name)), CommandFlags.FireAndForget).ConfigureAwait(false);
            }
            catch (Exception ex) when (!(ex is OperationCanceledException))
            {
                // The next batch of these partitions registers them again.
                lock (_confirmed)
                {
                    foreach (var entry in confirmed) _confirmed.Remove((string)entry.Name!);
                }

                registryFailure ??= StoreErrors.Classify(ex, _format.PartitionsKey.ToString());
            }

            return registryFailure;
        }

        private static HashEntry Entry(Partition partition) => new HashEntry(partition.StreamKey, StorageFormat.RegistryValue(partition));

        private bool IsConfirmed(Partition partition)
        {
            lock (_confirmed) return _confirmed.Contains(partition.StreamKey);
        }

        /// <summary>Marks a partition as taking writes; true the first time.</summary>
        private bool Confirm(Partition partition)
        {
            lock (_confirmed) return _confirmed.Count < 100_000 && _confirmed.Add(partition.StreamKey);
        }
    }
}
