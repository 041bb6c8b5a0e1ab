using System;
using System.Collections.Concurrent;
using System.Globalization;
using System.IO;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using MonarchLogs.Core;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Storage;

namespace MonarchLogs.Web.Api
{
    /// <summary>
    /// api/stream: a live tail as Server-Sent Events, with the filters of api/logs. Each entry is
    /// one <c>data:</c> line of JSON (JSON escapes every line break, so a message cannot forge an
    /// event) with its Id as the event id. With <c>after</c> (or the browser's Last-Event-ID on
    /// a reconnect) the stream first sends what was written after that entry, so the page's
    /// table and the live entries join with no gap.
    /// </summary>
    internal static class StreamEndpoint
    {
        private static readonly UTF8Encoding Utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);

        public static async Task StreamAsync(HttpContext context, LogStore store, IOptions<MonarchLogViewerOptions> options, IHostApplicationLifetime lifetime)
        {
            var settings = options.Value;
            var query = context.Request.Query;
            var errors = new ParameterErrors();
            var filters = ViewerFilters.Parse(query, DateTime.UtcNow, errors);
            var lastEventId = context.Request.Headers["Last-Event-ID"].ToString();
            var resumeAfter = LogEntryId.TryParse(lastEventId, out _) ? lastEventId : filters.After;
            var backlog = errors.Read(() => ParseBacklog(ViewerFilters.Single(query, "backlog"), resumeAfter is null ? 0 : settings.MaxLimit, settings.MaxLimit));
            errors.ThrowIfAny();

            using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
            var cancellationToken = stop.Token;
            // A partition that cannot be read is left out and told as a "warning" event; the others stream on.
            var partitionErrors = new ConcurrentQueue<PartitionError>();
            using var tail = await store.OpenTailAsync(filters.ToQuery(limit: null, oldestFirst: true, after: resumeAfter), partitionErrors.Enqueue, cancellationToken).ConfigureAwait(false);

            var response = context.Response;
            response.ContentType = "text/event-stream; charset=utf-8";
            response.Headers.CacheControl = "no-cache, no-store";
            response.Headers["X-Accel-Buffering"] = "no";
            context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
            var body = response.Body;

            try
            {
                await WriteAsync(body, "retry: 3000\n\n", cancellationToken).ConfigureAwait(false);
                if (backlog > 0)
                {
                    // One more than asked tells whether older missed entries were left out.
                    var missed = await tail.ReadBacklogAsync(backlog + 1, cancellationToken).ConfigureAwait(false);
                    var skip = missed.Count > backlog ? missed.Count - backlog : 0;
                    if (skip > 0) await WriteEventAsync(body, "gap", "{\"skipped\":true}", null, cancellationToken).ConfigureAwait(false);
                    for (var i = skip; i < missed.Count; i++) await WriteEntryAsync(body, missed[i], cancellationToken).ConfigureAwait(false);
                }

                await WriteWarningsAsync(body, partitionErrors, cancellationToken).ConfigureAwait(false);
                await WriteEventAsync(body, "ready", "{}", null, cancellationToken).ConfigureAwait(false);
                await body.FlushAsync(cancellationToken).ConfigureAwait(false);

                var lastWrite = DateTime.UtcNow;
                var failing = false;
                while (!cancellationToken.IsCancellationRequested)
                {
                    var entries = await tail.NextAsync(settings.TailPollInterval, cancellationToken).ConfigureAwait(false);
                    var wrote = await WriteWarningsAsync(body, partitionErrors, cancellationToken).ConfigureAwait(false);
                    foreach (var entry in entries)
                    {
                        await WriteEntryAsync(body, entry, cancellationToken).ConfigureAwait(false);
                        wrote = true;
                    }

                    if ((tail.LastError is not null) != failing)
                    {
                        failing = tail.LastError is not null;
                        var state = JsonSerializer.Serialize(new { connected = !failing, message = tail.LastError?.Message }, ViewerJson.Options);
                        await WriteEventAsync(body, "store", state, null, cancellationToken).ConfigureAwait(false);
                        wrote = true;
                    }

                    if (!wrote && DateTime.UtcNow - lastWrite >= settings.HeartbeatInterval)
                    {
                        await WriteAsync(body, ": heartbeat\n\n", cancellationToken).ConfigureAwait(false);
                        wrote = true;
                    }

                    if (wrote)
                    {
                        await body.FlushAsync(cancellationToken).ConfigureAwait(false);
                        lastWrite = DateTime.UtcNow;
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // The client went away or the host is stopping: the stream simply ends.
            }
            catch (IOException) when (context.RequestAborted.IsCancellationRequested)
            {
            }
        }

        private static int ParseBacklog(string? text, int defaultCount, int max)
        {
            if (string.IsNullOrWhiteSpace(text)) return defaultCount;
            if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var count) || count < 0)
            {
                throw new BadParameterException("backlog", "InvalidBacklog", $"backlog '{ViewerFilters.Shorten(text)}' is not a whole number of at least 0.");
            }

            return Math.Min(count, max);
        }

        private static async Task<bool> WriteWarningsAsync(Stream body, ConcurrentQueue<PartitionError> errors, CancellationToken cancellationToken)
        {
            var wrote = false;
            while (errors.TryDequeue(out var error))
            {
                await WriteEventAsync(body, "warning", JsonSerializer.Serialize(ViewerWarning.From(error), ViewerJson.Options), null, cancellationToken).ConfigureAwait(false);
                wrote = true;
            }

            return wrote;
        }

        private static Task WriteEntryAsync(Stream body, MonarchLogEntry entry, CancellationToken cancellationToken) =>
            WriteEventAsync(body, null, JsonSerializer.Serialize(entry, ViewerJson.Options), entry.Id, cancellationToken);

        private static Task WriteEventAsync(Stream body, string? eventName, string json, string? id, CancellationToken cancellationToken)
        {
            var text = new StringBuilder();
            if (eventName is not null) text.Append("event: ").Append(eventName).Append('\n');
            // An id with a line break or NUL would end the field early; service names cannot hold
            // control characters, so this only guards against a store edited by hand.
            if (id is not null && id.IndexOfAny(new[] { '\r', '\n', '\0' }) < 0) text.Append("id: ").Append(id).Append('\n');
            text.Append("data: ").Append(json).Append("\n\n");
            return WriteAsync(body, text.ToString(), cancellationToken);
        }

        private static async Task WriteAsync(Stream body, string text, CancellationToken cancellationToken) =>
            await body.WriteAsync(Utf8.GetBytes(text), cancellationToken).ConfigureAwait(false);
    }
}
