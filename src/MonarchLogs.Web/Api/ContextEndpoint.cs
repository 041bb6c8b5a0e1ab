using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using MonarchLogs.Core;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Query;
using MonarchLogs.Core.Storage;

namespace MonarchLogs.Web.Api
{
    /// <summary>
    /// api/context: one entry and the entries written just before and after it, across every
    /// service and level, read with the engine's cursors. It is what a permalink to an entry shows.
    /// </summary>
    internal static class ContextEndpoint
    {
        public const int DefaultCount = 20;

        public const int MaxCount = 500;

        /// <summary><paramref name="Before"/> and <paramref name="After"/> are oldest first; <paramref name="Entry"/> is null when the store no longer holds it.</summary>
        public sealed record EntryContext(IReadOnlyList<MonarchLogEntry> Before, MonarchLogEntry? Entry, IReadOnlyList<MonarchLogEntry> After, IReadOnlyList<ViewerWarning> Warnings);

        public static async Task<IResult> GetAsync(HttpContext context, LogStore store)
        {
            var query = context.Request.Query;
            var errors = new ParameterErrors();
            var id = errors.Read(() => ViewerFilters.ParseCursor(query, "id"));
            var count = errors.Read(() => ParseCount(query));
            if (id is null && !errors.Any)
            {
                errors.Add(new BadParameterException("id", "InvalidCursor", "id is missing; give the Id of an entry, such as 1764340087123-0@orders/error."));
            }

            errors.ThrowIfAny();
            var target = LogEntryId.Parse(id!);
            var cancellationToken = context.RequestAborted;
            var partitionErrors = new ConcurrentQueue<PartitionError>();

            var before = await ReadAsync(store, new LogQuery { Before = id, Limit = count }, count, partitionErrors, cancellationToken).ConfigureAwait(false);
            before.Reverse();

            // Forwards from the entry's predecessor, so that the entry itself comes first while the store holds it.
            var from = before.Count > 0 ? before[before.Count - 1].Id : null;
            var after = await ReadAsync(store, new LogQuery { OldestFirst = true, After = from, Limit = count + 1 }, count + 1, partitionErrors, cancellationToken).ConfigureAwait(false);
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

            return Results.Json(new EntryContext(before, entry, after, ViewerWarning.From(partitionErrors)), ViewerJson.Options);
        }

        /// <summary><c>n</c>: entries on each side, at least 1; a larger value than <see cref="MaxCount"/> is capped, not refused.</summary>
        private static int ParseCount(IQueryCollection query)
        {
            var text = ViewerFilters.Single(query, "n");
            if (string.IsNullOrWhiteSpace(text)) return DefaultCount;
            if (!long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var count) || count < 1)
            {
                throw new BadParameterException("n", "InvalidLimit", $"n '{ViewerFilters.Shorten(text)}' is not a whole number of at least 1.");
            }

            return (int)Math.Min(count, MaxCount);
        }

        private static async Task<List<MonarchLogEntry>> ReadAsync(LogStore store, LogQuery query, int count, ConcurrentQueue<PartitionError> partitionErrors, CancellationToken cancellationToken)
        {
            var entries = new List<MonarchLogEntry>(count);
            await foreach (var entry in store.QueryAsync(query, partitionErrors.Enqueue, cancellationToken).ConfigureAwait(false))
            {
                entries.Add(entry);
                if (entries.Count == count) break;
            }

            return entries;
        }
    }
}
