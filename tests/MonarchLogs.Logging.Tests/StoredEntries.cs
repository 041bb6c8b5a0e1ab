using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.Json;
using System.Threading.Tasks;
using MonarchLogs.Core;
using MonarchLogs.Core.Query;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Storage;
using StackExchange.Redis;

namespace MonarchLogs.Logging.Tests
{
    /// <summary>One stored entry of a test producer, its message <c>&lt;producer&gt;:&lt;thread&gt;:&lt;seq&gt;</c> taken apart.</summary>
    internal sealed class ProducedEntry
    {
        public ProducedEntry(MonarchLogEntry entry, string producer, string thread, int seq)
        {
            Entry = entry;
            Producer = producer;
            Thread = thread;
            Seq = seq;
            IdMilliseconds = LogEntryId.Parse(entry.Id!).Position.Milliseconds;
            EventMilliseconds = StreamId.ToUnixMilliseconds(entry.Timestamp);
        }

        public MonarchLogEntry Entry { get; }

        public string Producer { get; }

        public string Thread { get; }

        public int Seq { get; }

        public string Partition => Entry.Service + "/" + LogLevels.StorageName(Entry.Level);

        public long IdMilliseconds { get; }

        public long EventMilliseconds { get; }

        /// <summary>How far the stream ID's time is from the event time (the storage format wants it zero, or a little later).</summary>
        public long SkewMilliseconds => IdMilliseconds - EventMilliseconds;
    }

    /// <summary>
    /// Everything stored under one prefix, read back in stream order, and the checks the fault
    /// scenarios make on it: each entry once, each thread's entries in the order logged, IDs at
    /// their event times, and what the drop notices say.
    /// </summary>
    internal sealed class StoredEntries
    {
        private StoredEntries(List<MonarchLogEntry> all)
        {
            All = all;
            Notices = all.Where(e => e.Category == Writing.DropReporter.NoticeCategory).ToList();
            Produced = all.Where(e => e.Category == TestProducerCategory).Select(Parse).ToList();
        }

        public const string TestProducerCategory = "MonarchLogs.TestProducer";

        public IReadOnlyList<MonarchLogEntry> All { get; }

        /// <summary>The writers' drop notices.</summary>
        public IReadOnlyList<MonarchLogEntry> Notices { get; }

        /// <summary>The producers' entries in stream order (partitions merged by ID).</summary>
        public IReadOnlyList<ProducedEntry> Produced { get; }

        /// <summary>Reads what the queries find (all partitions when none is given), each oldest first, one after the other.</summary>
        public static async Task<StoredEntries> ReadAsync(IConnectionMultiplexer connection, string prefix, params LogQuery[] queries)
        {
            var store = new LogStore(connection, new StorageFormat(prefix));
            var all = new List<MonarchLogEntry>();
            foreach (var query in queries.Length > 0 ? queries : new[] { new LogQuery() })
            {
                await foreach (var entry in store.QueryAsync(query with { OldestFirst = true })) all.Add(entry);
            }

            return new StoredEntries(all);
        }

        public IEnumerable<ProducedEntry> Of(string producer) => Produced.Where(e => e.Producer == producer);

        /// <summary>Stored entries of the producer, duplicates included.</summary>
        public long Rows(string producer) => Of(producer).LongCount();

        /// <summary>Distinct entries of the producer.</summary>
        public long Distinct(string producer) => Of(producer).Select(e => (e.Thread, e.Seq)).Distinct().LongCount();

        /// <summary>Stored copies beyond the first of the producer's entries.</summary>
        public long Duplicates(string producer) => Rows(producer) - Distinct(producer);

        /// <summary>
        /// Places where a thread's entries are out of the order logged within a partition (the
        /// first copy of each counts; a duplicate is reported on its own). Empty when all is in order.
        /// </summary>
        public IReadOnlyList<string> OrderViolations()
        {
            var violations = new List<string>();
            foreach (var group in Produced.GroupBy(e => (e.Partition, e.Producer, e.Thread)))
            {
                var seen = new HashSet<int>();
                var last = -1;
                foreach (var entry in group)
                {
                    if (!seen.Add(entry.Seq)) continue;
                    if (entry.Seq < last) violations.Add($"{group.Key.Partition} {group.Key.Producer}:{group.Key.Thread}: seq {entry.Seq} after {last} ({entry.Entry.Id})");
                    last = Math.Max(last, entry.Seq);
                }
            }

            return violations;
        }

        /// <summary>The first few entries of the producer stored more than once, for assertion messages.</summary>
        public string DescribeDuplicates(string producer, int most = 5) =>
            string.Join(", ", Of(producer).GroupBy(e => (e.Thread, e.Seq)).Where(g => g.Count() > 1).Take(most)
                .Select(g => $"{producer}:{g.Key.Thread}:{g.Key.Seq} x{g.Count()}"));

        /// <summary>The sum over the service's drop notices of one reason's count (the notice's properties JSON).</summary>
        public long NoticeCount(string service, string reason)
        {
            long sum = 0;
            foreach (var notice in Notices.Where(n => n.Service == service))
            {
                using var properties = JsonDocument.Parse(notice.Properties);
                if (properties.RootElement.TryGetProperty(reason, out var count)) sum += count.GetInt64();
            }

            return sum;
        }

        private static ProducedEntry Parse(MonarchLogEntry entry)
        {
            var parts = entry.Message.Split(':');
            if (parts.Length != 3 || !int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var seq))
            {
                throw new FormatException($"Not a producer message: '{entry.Message}' ({entry.Id}).");
            }

            return new ProducedEntry(entry, parts[0], parts[1], seq);
        }
    }
}
