using System;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using MonarchLogs.Core;
using MonarchLogs.Core.Storage;
using StackExchange.Redis;

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
        /// <summary>A probe gets its answer within this time, whatever the store does.</summary>
        private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

        public static async Task<IResult> GetAsync(HttpContext context, LogStore store)
        {
            context.Response.Headers.CacheControl = "no-store";
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
            timeout.CancelAfter(Timeout);
            try
            {
                await store.GetServicesAsync(timeout.Token).ConfigureAwait(false);
                return Results.Text("Healthy", "text/plain", statusCode: StatusCodes.Status200OK);
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                return Results.Empty;
            }
            catch (Exception ex) when (ex is OperationCanceledException || ex is MonarchLogsException || ex is RedisException || ex is TimeoutException)
            {
                var errorId = ex is OperationCanceledException ? StoreErrors.Timeout : StoreErrors.Classify(ex).ErrorId;
                return Results.Text("Unhealthy: " + errorId, "text/plain", statusCode: StatusCodes.Status503ServiceUnavailable);
            }
        }
    }
}
