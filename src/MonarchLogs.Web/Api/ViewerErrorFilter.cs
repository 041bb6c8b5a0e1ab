using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MonarchLogs.Core;
using StackExchange.Redis;

namespace MonarchLogs.Web.Api
{
    /// <summary>
    /// Turns the failures a request can meet into problem details (RFC 9457) with a stable
    /// <c>errorId</c>: a bad parameter is 400; a store failure goes through the engine's one
    /// classifier (<see cref="StoreErrors.Classify"/>), so the viewer answers with the same ids as
    /// the cmdlets, and its kind picks the status. Once an answer has started, it can only be cut off.
    /// </summary>
    internal sealed class ViewerErrorFilter : IEndpointFilter
    {
        public const string InternalErrorId = "ViewerInternalError";

        public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
        {
            var http = context.HttpContext;
            try
            {
                return await next(context).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
            {
                return Results.Empty;
            }
            catch (Exception ex) when (!http.Response.HasStarted)
            {
                if (!IsExpected(ex)) LogUnexpected(http, ex);
                return ToProblem(ex);
            }
            catch (Exception ex) when (IsExpected(ex))
            {
                http.Abort();
                return Results.Empty;
            }
        }

        /// <summary>A bad parameter, or a failure of the store or of the connection to it.</summary>
        internal static bool IsExpected(Exception ex) =>
            ex is BadParameterException || ex is MonarchLogsException || ex is RedisException || ex is TimeoutException
            || (ex is AggregateException { InnerExceptions.Count: 1 } aggregate && IsExpected(aggregate.InnerExceptions[0]));

        internal static IResult ToProblem(Exception ex)
        {
            if (ex is BadParameterException bad)
            {
                return BadParameters(bad);
            }

            if (!IsExpected(ex))
            {
                // A defect of the viewer, not of the request or the store: still an answer a script can read.
                return Problem(StatusCodes.Status500InternalServerError, "Viewer error", InternalErrorId,
                    "The viewer failed on this request (" + ex.GetType().Name + "); its log has the details.", null);
            }

            var error = StoreErrors.Classify(ex);
            return error.Kind switch
            {
                MonarchErrorKind.InvalidArgument => Problem(StatusCodes.Status400BadRequest, "Invalid request parameter", error.ErrorId, error.Message, ParameterOf(error.ErrorId)),
                MonarchErrorKind.ConnectionError => Problem(StatusCodes.Status503ServiceUnavailable, "Log store unavailable", error.ErrorId, error.Message, null),
                MonarchErrorKind.OperationTimeout => Problem(StatusCodes.Status504GatewayTimeout, "Log store timed out", error.ErrorId, error.Message, null),
                // Valkey refused the viewer's own user, not the caller: the viewer cannot serve, so 503
                // (403 is the viewer's answer to a caller it does not let in, ViewerAuthRequired).
                MonarchErrorKind.PermissionDenied => Problem(StatusCodes.Status503ServiceUnavailable, "Log store refused access", error.ErrorId, RefusalDetail(error), null),
                _ => Problem(StatusCodes.Status500InternalServerError, "Log store error", error.ErrorId, error.Message, null),
            };
        }

        private static string RefusalDetail(MonarchLogsException error) => error.ErrorId == StoreErrors.AuthenticationFailed
            ? error.Message + " Check the viewer's user and password (Viewer:Valkey:User and :Password, else Valkey:User and :Password) or its connection string."
            : error.Message + " The viewer's Valkey user needs the reader permissions of docs/operations.md.";

        /// <summary>
        /// 400 with the first bad parameter in the top-level fields, as before, and every one of
        /// them in <c>errors</c>, so that a caller fixes them all in one go.
        /// </summary>
        private static IResult BadParameters(BadParameterException bad)
        {
            var errors = new List<Dictionary<string, string>>(bad.Errors.Count);
            foreach (var error in bad.Errors)
            {
                errors.Add(new Dictionary<string, string> { ["parameter"] = error.Parameter, ["errorId"] = error.ErrorId, ["detail"] = error.Message });
            }

            var extensions = new Dictionary<string, object?> { ["errorId"] = bad.ErrorId, ["parameter"] = bad.Parameter, ["errors"] = errors };
            var title = bad.Errors.Count == 1 ? "Invalid request parameter" : "Invalid request parameters";
            return Results.Problem(detail: bad.Message, statusCode: StatusCodes.Status400BadRequest, title: title, extensions: extensions);
        }

        internal static IResult Problem(int status, string title, string errorId, string detail, string? parameter)
        {
            var extensions = new Dictionary<string, object?> { ["errorId"] = errorId };
            if (parameter is not null) extensions["parameter"] = parameter;
            return Results.Problem(detail: detail, statusCode: status, title: title, extensions: extensions);
        }

        private static void LogUnexpected(HttpContext http, Exception ex) =>
            http.RequestServices.GetService<ILoggerFactory>()?.CreateLogger("MonarchLogs.Web.Viewer")
                .LogError(ex, "The viewer failed on {Method} {Path}.", http.Request.Method, http.Request.Path);

        private static string? ParameterOf(string errorId) => errorId switch
        {
            "InvalidCursor" => "after",
            "InvalidLimit" => "limit",
            _ => null,
        };
    }
}
