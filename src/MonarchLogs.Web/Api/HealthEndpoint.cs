using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using MonarchLogs.Core;
using MonarchLogs.Core.Storage;

namespace MonarchLogs.Web.Api
{
    /// <summary>
    /// <c>{prefix}/healthz</c>: whether the viewer can read its store now (one read of the format
    /// key and the registry, as the viewer's user). For probes and load balancers, so it needs no
    /// viewer auth and tells only the status and the error id, never the store's contents or
    /// the error's text: "Healthy" (200), or "Unhealthy: ValkeyUnreachable" (503).
    /// </summary>
    internal static class HealthEndpoint
    {
        public static async Task<IResult> GetAsync(HttpContext context, ViewerHealthProbe probe)
        {
            context.Response.Headers.CacheControl = "no-store";
            string errorId;
            try
            {
                errorId = await probe.CheckAsync().WaitAsync(context.RequestAborted).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                return Results.Empty;
            }

            return errorId.Length == 0
                ? Results.Text("Healthy", "text/plain", statusCode: StatusCodes.Status200OK)
                : Results.Text("Unhealthy: " + errorId, "text/plain", statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }

    /// <summary>
    /// The viewer's read check, shared: probes that come while one runs, or within a second after
    /// it, get its answer, so however often (or however many) clients ask, the store sees at most
    /// about one check a second.
    /// </summary>
    internal sealed class ViewerHealthProbe
    {
        /// <summary>A probe gets its answer within this time, whatever the store does.</summary>
        private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

        private static readonly TimeSpan Reuse = TimeSpan.FromSeconds(1);

        private readonly LogStore _store;
        private readonly object _gate = new object();
        private Task<string>? _last;
        private long _lastDone;

        public ViewerHealthProbe(LogStore store) => _store = store;

        /// <summary>The error id of the store's failure, or an empty text when it reads.</summary>
        public Task<string> CheckAsync()
        {
            lock (_gate)
            {
                if (_last is { } last && (!last.IsCompleted || Stopwatch.GetElapsedTime(Volatile.Read(ref _lastDone)) < Reuse)) return last;
                _last = RunAsync();
                return _last;
            }
        }

        private async Task<string> RunAsync()
        {
            try
            {
                using var timeout = new CancellationTokenSource(Timeout);
                await _store.GetServicesAsync(timeout.Token).ConfigureAwait(false);
                return string.Empty;
            }
            catch (OperationCanceledException)
            {
                return StoreErrors.Timeout;
            }
            catch (Exception ex) when (ViewerErrorFilter.IsExpected(ex))
            {
                return StoreErrors.Classify(ex).ErrorId;
            }
            finally
            {
                Volatile.Write(ref _lastDone, Stopwatch.GetTimestamp());
            }
        }
    }
}
