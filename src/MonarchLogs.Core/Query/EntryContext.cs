using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Format;

namespace MonarchLogs.Core.Query
{
    /// <summary>
    /// One entry and the entries just before and after it in store order, across every service
    /// and level: what <c>grep -C</c> gives for a line.
    /// </summary>
    public sealed class EntryContext
    {
        internal EntryContext(IReadOnlyList<MonarchLogEntry> before, MonarchLogEntry? entry, IReadOnlyList<MonarchLogEntry> after)
        {
            Before = before;
            Entry = entry;
            After = after;
        }

        /// <summary>The entries before the entry, oldest first.</summary>
        public IReadOnlyList<MonarchLogEntry> Before { get; }

        /// <summary>The entry; null when the store no longer holds it (retention removed it).</summary>
        public MonarchLogEntry? Entry { get; }

        /// <summary>The entries after the entry, oldest first.</summary>
        public IReadOnlyList<MonarchLogEntry> After { get; }

        /// <summary>
        /// Reads the context of the entry <paramref name="id"/>: up to <paramref name="count"/>
        /// entries on each side. <paramref name="query"/> narrows the neighbours (levels,
        /// services, content) when given; its time range, cursors and order are the context's own.
        /// </summary>
        internal static async Task<EntryContext> ReadAsync(Func<LogQuery, IAsyncEnumerable<MonarchLogEntry>> read, string id, int count, LogQuery? query, CancellationToken cancellationToken)
        {
            if (count < 1) throw new MonarchLogsException("InvalidLimit", MonarchErrorKind.InvalidArgument, "The context must be at least 1 entry on each side.");
            if (!LogEntryId.TryParse(id, out var target))
            {
                throw new MonarchLogsException("InvalidCursor", MonarchErrorKind.InvalidArgument,
                    $"'{DisplayText.Quote(id)}' is not a log entry Id; an Id looks like 1764340087123-0@orders/error.");
            }

            // The neighbours are the nearest entries whenever they were written: no time range.
            var filter = (query ?? new LogQuery()) with { Since = null, Until = null };
            var before = await TakeAsync(read(filter with { Before = id, After = null, OldestFirst = false, Limit = count }), count, cancellationToken).ConfigureAwait(false);
            before.Reverse();

            // Forwards from the entry's predecessor, so that the entry itself comes first while the store holds it.
            var from = before.Count > 0 ? before[before.Count - 1].Id : null;
            var after = await TakeAsync(read(filter with { After = from, Before = null, OldestFirst = true, Limit = count + 1 }), count + 1, cancellationToken).ConfigureAwait(false);
            MonarchLogEntry? entry = null;
            if (after.Count > 0 && LogEntryId.TryParse(after[0].Id, out var first) && first.CompareTo(target) == 0)
            {
                entry = after[0];
                after.RemoveAt(0);
            }
            else if (after.Count > count)
            {
                after.RemoveAt(after.Count - 1);
            }

            return new EntryContext(before, entry, after);
        }

        private static async Task<List<MonarchLogEntry>> TakeAsync(IAsyncEnumerable<MonarchLogEntry> entries, int count, CancellationToken cancellationToken)
        {
            var taken = new List<MonarchLogEntry>(Math.Min(count, 1000));
            await foreach (var entry in entries.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                taken.Add(entry);
                if (taken.Count == count) break;
            }

            return taken;
        }
    }
}
