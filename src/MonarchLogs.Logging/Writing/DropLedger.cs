using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Threading;

namespace MonarchLogs.Logging.Writing
{
    /// <summary>
    /// Every entry not stored, counted by reason, and the part of it not yet reported in the
    /// store. Also what the writer changed but kept: entries cut to the size limits, entries
    /// routed to the host's own service past the service limit, restarts of the writer loop.
    /// </summary>
    internal sealed class DropLedger
    {
        private static readonly int Reasons = Enum.GetValues(typeof(DropReason)).Length;
        private readonly KeyValuePair<string, object?> _serviceTag;
        private readonly long[] _total = new long[Reasons];
        private readonly long[] _unreported = new long[Reasons];
        private readonly object _detailsLock = new object();
        private readonly Dictionary<string, string> _details = new Dictionary<string, string>(StringComparer.Ordinal);
        private long _rerouted;
        private long _unreportedRerouted;
        private long _truncated;
        private long _restarts;
        private long _unreportedRestarts;
        private long _lastDropTicks;

        public DropLedger(string service) => _serviceTag = new KeyValuePair<string, object?>("service", service);

        public long Total
        {
            get
            {
                long sum = 0;
                for (var i = 0; i < Reasons; i++) sum += Interlocked.Read(ref _total[i]);
                return sum;
            }
        }

        public long Count(DropReason reason) => Interlocked.Read(ref _total[(int)reason]);

        /// <summary>When the last entry was counted as not stored (UTC); null when none was.</summary>
        public DateTime? LastDrop => Interlocked.Read(ref _lastDropTicks) is var ticks and > 0 ? new DateTime(ticks, DateTimeKind.Utc) : null;

        /// <summary>Entries not stored, by reason, for the reasons that have any.</summary>
        public IReadOnlyDictionary<string, long> ByReason()
        {
            var counts = new Dictionary<string, long>(StringComparer.Ordinal);
            for (var i = 0; i < Reasons; i++)
            {
                var count = Interlocked.Read(ref _total[i]);
                if (count > 0) counts[((DropReason)i).ToString()] = count;
            }

            return counts;
        }

        public long Truncated => Interlocked.Read(ref _truncated);

        public long Rerouted => Interlocked.Read(ref _rerouted);

        public long Restarts => Interlocked.Read(ref _restarts);

        /// <summary>Counts entries not stored; <paramref name="detail"/> (a key and an error id) is named in the next notice.</summary>
        public void Add(DropReason reason, long count, string? detail = null)
        {
            if (count <= 0) return;
            Interlocked.Add(ref _total[(int)reason], count);
            Interlocked.Add(ref _unreported[(int)reason], count);
            Interlocked.Exchange(ref _lastDropTicks, DateTime.UtcNow.Ticks);
            MonarchLogsMetrics.EntriesDropped.Add(count, _serviceTag, new KeyValuePair<string, object?>("reason", reason.ToString()));
            if (detail is not null)
            {
                lock (_detailsLock)
                {
                    if (_details.Count < 20) _details[detail] = reason.ToString();
                }
            }
        }

        public void AddTruncated()
        {
            Interlocked.Increment(ref _truncated);
            MonarchLogsMetrics.EntriesTruncated.Add(1, _serviceTag);
        }

        public void AddRerouted()
        {
            Interlocked.Increment(ref _rerouted);
            Interlocked.Increment(ref _unreportedRerouted);
        }

        public void AddRestart()
        {
            Interlocked.Increment(ref _restarts);
            Interlocked.Increment(ref _unreportedRestarts);
        }

        public bool HasUnreported
        {
            get
            {
                if (Interlocked.Read(ref _unreportedRerouted) > 0 || Interlocked.Read(ref _unreportedRestarts) > 0) return true;
                for (var i = 0; i < Reasons; i++) if (Interlocked.Read(ref _unreported[i]) > 0) return true;
                return false;
            }
        }

        /// <summary>What is unreported now, to be written in one notice and, once stored, taken off with <see cref="MarkReported"/>.</summary>
        public Report Snapshot()
        {
            var counts = new long[Reasons];
            for (var i = 0; i < Reasons; i++) counts[i] = Interlocked.Read(ref _unreported[i]);
            string[] details;
            lock (_detailsLock) details = _details.Select(pair => pair.Key).ToArray();
            return new Report(counts, Interlocked.Read(ref _unreportedRerouted), Interlocked.Read(ref _unreportedRestarts), details);
        }

        public void MarkReported(Report report)
        {
            for (var i = 0; i < Reasons; i++) Interlocked.Add(ref _unreported[i], -report.Counts[i]);
            Interlocked.Add(ref _unreportedRerouted, -report.Rerouted);
            Interlocked.Add(ref _unreportedRestarts, -report.Restarts);
            lock (_detailsLock)
            {
                foreach (var detail in report.Details) _details.Remove(detail);
            }
        }

        /// <summary>One notice's worth of counts.</summary>
        internal sealed class Report
        {
            public Report(long[] counts, long rerouted, long restarts, string[] details)
            {
                Counts = counts;
                Rerouted = rerouted;
                Restarts = restarts;
                Details = details;
            }

            public long[] Counts { get; }

            public long Rerouted { get; }

            public long Restarts { get; }

            public string[] Details { get; }

            public long NotStored => Counts.Sum();

            /// <summary>One line: how many were not stored and why, what was re-routed, whether the writer restarted.</summary>
            public string Message(int bufferCapacity)
            {
                var parts = new List<string>();
                for (var i = 0; i < Counts.Length; i++)
                {
                    if (Counts[i] > 0) parts.Add(Counts[i].ToString(CultureInfo.InvariantCulture) + " " + Describe((DropReason)i, bufferCapacity));
                }

                var text = new StringBuilder();
                if (NotStored > 0)
                {
                    // The buffer case keeps the sentence operators already search for.
                    if (parts.Count == 1 && Counts[(int)DropReason.BufferFull] > 0)
                    {
                        text.Append(NotStored.ToString(CultureInfo.InvariantCulture)).Append(" log entries were dropped because the buffer of ")
                            .Append(bufferCapacity.ToString(CultureInfo.InvariantCulture)).Append(" entries was full");
                    }
                    else
                    {
                        text.Append(NotStored.ToString(CultureInfo.InvariantCulture)).Append(" log entries were not stored: ").Append(string.Join(", ", parts));
                    }
                }

                if (Details.Length > 0) text.Append(text.Length > 0 ? " (" : "(").Append(string.Join("; ", Details)).Append(')');
                if (Rerouted > 0)
                {
                    if (text.Length > 0) text.Append(". ");
                    text.Append(Rerouted.ToString(CultureInfo.InvariantCulture)).Append(" entries asked for a service past the limit of distinct services and were stored under this service (property RequestedService)");
                }

                if (Restarts > 0)
                {
                    if (text.Length > 0) text.Append(". ");
                    text.Append("The log writer failed ").Append(Restarts.ToString(CultureInfo.InvariantCulture)).Append(" time(s) and was restarted");
                }

                return text.ToString();
            }

            public string PropertiesJson(int bufferCapacity)
            {
                var json = new StringBuilder("{\"DroppedEntries\":").Append(NotStored.ToString(CultureInfo.InvariantCulture));
                for (var i = 0; i < Counts.Length; i++)
                {
                    if (Counts[i] > 0) json.Append(",\"").Append(((DropReason)i).ToString()).Append("\":").Append(Counts[i].ToString(CultureInfo.InvariantCulture));
                }

                json.Append(",\"BufferCapacity\":").Append(bufferCapacity.ToString(CultureInfo.InvariantCulture));
                if (Rerouted > 0) json.Append(",\"Rerouted\":").Append(Rerouted.ToString(CultureInfo.InvariantCulture));
                if (Restarts > 0) json.Append(",\"WriterRestarts\":").Append(Restarts.ToString(CultureInfo.InvariantCulture));
                return json.Append('}').ToString();
            }

            private static string Describe(DropReason reason, int bufferCapacity) => reason switch
            {
                DropReason.BufferFull => $"because the buffer of {bufferCapacity} entries was full",
                DropReason.PartitionRefused => "refused by their partition",
                DropReason.StoreRefused => "refused by the store",
                DropReason.RetryTimeLimit => "given up after the retry time limit",
                DropReason.NotSentAtShutdown => "not sent by the flush timeout at shutdown",
                DropReason.UnconfirmedAtShutdown => "sent but unconfirmed at shutdown",
                DropReason.CaptureFailed => "that could not be captured",
                DropReason.WriterFault => "held by the writer when it failed",
                DropReason.NotSentAtProcessExit => "not sent by the flush timeout when the process exited",
                _ => reason.ToString(),
            };
        }
    }
}
