using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using MonarchLogs.Core;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Storage;

namespace MonarchLogs.Web.Api
{
    /// <summary>api/logs (one page, with a cursor to the next) and the downloads.</summary>
    internal static class LogsEndpoints
    {
        public sealed record LogsPage(IReadOnlyList<MonarchLogEntry> Entries, string? Next, int Limit, IReadOnlyList<ViewerWarning> Warnings);

        public static async Task<IResult> GetPageAsync(HttpContext context, LogStore store, IOptions<MonarchLogViewerOptions> options)
        {
            var settings = options.Value;
            var query = context.Request.Query;
            var errors = new ParameterErrors();
            var filters = ViewerFilters.Parse(query, DateTime.UtcNow, errors);
            var limit = errors.Read(() => ViewerFilters.ParseLimit(query, settings.DefaultLimit, settings.MaxLimit));
            errors.ThrowIfAny();

            // One entry more than the page tells whether there is a next page.
            var entries = new List<MonarchLogEntry>(Math.Min(limit, 1024));
            string? next = null;
            var partitionErrors = new ConcurrentQueue<PartitionError>();
            await foreach (var entry in store.QueryAsync(filters.ToQuery(limit + 1), partitionErrors.Enqueue, context.RequestAborted).ConfigureAwait(false))
            {
                if (entries.Count == limit)
                {
                    next = entries[entries.Count - 1].Id;
                    break;
                }

                entries.Add(entry);
            }

            return Results.Json(new LogsPage(entries, next, limit, ViewerWarning.From(partitionErrors)), ViewerJson.Options);
        }

        public static Task ExportCsvAsync(HttpContext context, LogStore store, IOptions<MonarchLogViewerOptions> options) =>
            ExportAsync(context, store, options.Value, "csv");

        public static Task ExportJsonAsync(HttpContext context, LogStore store, IOptions<MonarchLogViewerOptions> options) =>
            ExportAsync(context, store, options.Value, "json");

        public static Task ExportAnyAsync(HttpContext context, LogStore store, IOptions<MonarchLogViewerOptions> options) =>
            ExportAsync(context, store, options.Value, format: null);

        private static string ParseFormat(IQueryCollection query)
        {
            var format = ViewerFilters.Single(query, "format")?.Trim().ToLowerInvariant();
            if (string.IsNullOrEmpty(format)) return "csv";
            if (format != "csv" && format != "json")
            {
                throw new BadParameterException("format", "InvalidFormat", $"format '{ViewerFilters.Shorten(format)}' is not a download format. Use csv or json.");
            }

            return format;
        }

        /// <summary>
        /// Streams the result as it is read, so a large download holds no more than a page in
        /// memory. Parameters are checked before the first byte; a store failure after it aborts
        /// the connection, so a cut-off file is never mistaken for a complete one.
        /// </summary>
        /// <remarks>A null <paramref name="format"/> is read from the <c>format</c> parameter (api/export).</remarks>
        private static async Task ExportAsync(HttpContext context, LogStore store, MonarchLogViewerOptions settings, string? format)
        {
            var query = context.Request.Query;
            var errors = new ParameterErrors();
            format ??= errors.Read(() => ParseFormat(query));
            var filters = ViewerFilters.Parse(query, DateTime.UtcNow, errors);
            var limit = errors.Read(() => ViewerFilters.ParseLimit(query, settings.DefaultExportLimit, settings.MaxExportLimit));
            errors.ThrowIfAny();
            var cancellationToken = context.RequestAborted;

            await using var entries = store.QueryAsync(filters.ToQuery(limit), cancellationToken).GetAsyncEnumerator(cancellationToken);
            // The first read reaches the store, so an unreachable Valkey still answers 503 here.
            var hasFirst = await entries.MoveNextAsync().ConfigureAwait(false);

            var response = context.Response;
            var fileName = "monarchlogs-" + DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture) + "." + format;
            response.ContentType = format == "csv" ? "text/csv; charset=utf-8" : "application/json; charset=utf-8";
            response.Headers.ContentDisposition = $"attachment; filename=\"{fileName}\"";
            response.Headers.CacheControl = "no-store";

            try
            {
                if (format == "csv")
                {
                    await WriteCsvAsync(response.Body, entries, hasFirst, limit).ConfigureAwait(false);
                }
                else
                {
                    await WriteJsonAsync(response.BodyWriter, entries, hasFirst, limit).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                context.Abort();
            }
        }

        private static async Task WriteCsvAsync(Stream body, IAsyncEnumerator<MonarchLogEntry> entries, bool hasFirst, int limit)
        {
            await using var writer = new StreamWriter(body, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), 16 * 1024, leaveOpen: true);
            await CsvExport.WriteHeaderAsync(writer).ConfigureAwait(false);
            var written = 0;
            for (var has = hasFirst; has; has = await entries.MoveNextAsync().ConfigureAwait(false))
            {
                await CsvExport.WriteEntryAsync(writer, entries.Current).ConfigureAwait(false);
                if (++written == limit) break;
            }

            await writer.FlushAsync().ConfigureAwait(false);
        }

        private static async Task WriteJsonAsync(PipeWriter body, IAsyncEnumerator<MonarchLogEntry> entries, bool hasFirst, int limit)
        {
            // Over the response's PipeWriter: the serializer's own flush only hands bytes to the
            // pipe, and the awaited FlushAsync below does the I/O (Kestrel forbids synchronous writes).
            using var writer = new Utf8JsonWriter(body);
            writer.WriteStartArray();
            var written = 0;
            for (var has = hasFirst; has; has = await entries.MoveNextAsync().ConfigureAwait(false))
            {
                JsonSerializer.Serialize(writer, entries.Current, ViewerJson.Options);
                if (++written % 100 == 0) await body.FlushAsync().ConfigureAwait(false);
                if (written == limit) break;
            }

            writer.WriteEndArray();
            writer.Flush();
            await body.FlushAsync().ConfigureAwait(false);
        }
    }
}
