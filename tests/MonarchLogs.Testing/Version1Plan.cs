using System;
using System.Collections.Generic;
using MonarchLogs.Core;
using MonarchLogs.Core.Append;
using MonarchLogs.Core.Format;

namespace MonarchLogs.Testing
{
    /// <summary>The unsettled entries of one partition in a batch, in batch order, and the ID time each is sent with.</summary>
    internal sealed class Version1Run
    {
        public Version1Run(Partition partition)
        {
            Partition = partition;
        }

        public Partition Partition { get; }

        public List<int> Indexes { get; } = new List<int>();

        public List<long> IdMilliseconds { get; } = new List<long>();

        /// <summary>The latest ID time this writer ever sent to the partition, 0 if none (the script's fallback for a refused entry).</summary>
        public long Hint { get; set; }
    }

    /// <summary>
    /// (The format 1 writer of the releases before this one, kept for tests.)
    /// Splits a batch into one run per partition and gives every entry the time part of its
    /// stream ID: its event time, raised to the last one this appender sent to the partition. The
    /// queue holds entries in the order they were logged, but a thread may take its timestamp
    /// before another thread that enqueues first; raising keeps the IDs of one process in queue
    /// order, so the server never refuses an entry of this process as older than its own last one.
    /// </summary>
    internal sealed class Version1Planner
    {
        private const int MaxTrackedPartitions = 100_000;
        private readonly StorageFormat _format;
        private readonly Dictionary<string, long> _lastSent = new Dictionary<string, long>(StringComparer.Ordinal);
        private readonly Dictionary<string, long> _latestEver = new Dictionary<string, long>(StringComparer.Ordinal);

        public Version1Planner(StorageFormat format) => _format = format;

        public List<Version1Run> Plan(AppendBatch batch)
        {
            var runs = new List<Version1Run>();
            var byKey = new Dictionary<string, Version1Run>(StringComparer.Ordinal);
            lock (_lastSent)
            {
                for (var i = 0; i < batch.Count; i++)
                {
                    if (batch.IsSettled(i)) continue;
                    var entry = batch.Entries[i];
                    var partition = _format.GetPartition(entry.Service, entry.Level);
                    if (!byKey.TryGetValue(partition.StreamKey, out var run))
                    {
                        run = new Version1Run(partition);
                        byKey.Add(partition.StreamKey, run);
                        runs.Add(run);
                    }

                    // An ID cannot be before 1970: such an entry (imported, a broken clock) goes in at 0.
                    var milliseconds = Math.Max(0, StreamId.ToUnixMilliseconds(entry.Timestamp));
                    if (_lastSent.TryGetValue(partition.StreamKey, out var last) && last > milliseconds) milliseconds = last;
                    else if (_lastSent.Count < MaxTrackedPartitions || _lastSent.ContainsKey(partition.StreamKey)) _lastSent[partition.StreamKey] = milliseconds;
                    run.Indexes.Add(i);
                    run.IdMilliseconds.Add(milliseconds);
                }

                foreach (var run in runs)
                {
                    var key = run.Partition.StreamKey;
                    run.Hint = _latestEver.TryGetValue(key, out var latest) ? latest : 0;
                    var sending = run.IdMilliseconds[run.IdMilliseconds.Count - 1];
                    if (sending > run.Hint && (_latestEver.Count < MaxTrackedPartitions || _latestEver.ContainsKey(key))) _latestEver[key] = sending;
                }
            }

            return runs;
        }

        /// <summary>
        /// Forgets what was sent to a partition whose append failed: its retry goes with the
        /// entries' own times (the server still puts anything older than its top after it).
        /// </summary>
        public void Forget(Partition partition)
        {
            lock (_lastSent) _lastSent.Remove(partition.StreamKey);
        }
    }
}
