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
        public sealed record ContextResult(IReadOnlyList<MonarchLogEntry> Before, MonarchLogEntry? Entry, IReadOnlyList<MonarchLogEntry> After, IReadOnlyList<ViewerWarning> Warnings);

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
            var partitionErrors = new ConcurrentQueue<PartitionError>();
            var around = await store.GetContextAsync(id!, count, query: null, partitionErrors.Enqueue, context.RequestAborted).ConfigureAwait(false);
            return Results.Json(new ContextResult(around.Before, around.Entry, around.After, ViewerWarning.From(partitionErrors)), ViewerJson.Options);
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
    }
}
