using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using MonarchLogs.Core;
using StackExchange.Redis;

namespace MonarchLogs.Web.Api
{
    /// <summary>
    /// Turns the failures a request can meet into problem details (RFC 9457) with a stable
    /// <c>errorId</c>: a bad parameter is 400, an unreachable store 503. Once an answer has
    /// started, it can only be cut off.
    /// </summary>
    internal sealed class ViewerErrorFilter : IEndpointFilter
    {
        public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
        {
            try
            {
                return await next(context).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsExpected(ex) && !context.HttpContext.Response.HasStarted)
            {
                return ToProblem(ex);
            }
            catch (Exception ex) when (IsExpected(ex))
            {
                context.HttpContext.Abort();
                return Results.Empty;
            }
            catch (OperationCanceledException) when (context.HttpContext.RequestAborted.IsCancellationRequested)
            {
                return Results.Empty;
            }
        }

        private static bool IsExpected(Exception ex) =>
            ex is BadParameterException || ex is MonarchLogsException || ex is RedisConnectionException || ex is RedisTimeoutException
            || IsRefusedByServer(ex);

        /// <summary>Valkey refused the viewer's credentials (NOAUTH, WRONGPASS) or its ACL lacks a command (NOPERM).</summary>
        private static bool IsRefusedByServer(Exception ex) =>
            ex is RedisServerException && (IsAuthenticationError(ex.Message) || ex.Message.StartsWith("NOPERM", StringComparison.Ordinal));

        private static bool IsAuthenticationError(string message) =>
            message.StartsWith("NOAUTH", StringComparison.Ordinal) || message.StartsWith("WRONGPASS", StringComparison.Ordinal);

        /// <summary>
        /// A refused login shows as a connection failure of type AuthenticationFailure, or, for a
        /// command that waited in the client's backlog meanwhile, as "no connection available"
        /// whose text and inner exception carry that failure.
        /// </summary>
        private static bool IsAuthenticationFailure(Exception ex)
        {
            for (var current = ex; current is not null; current = current.InnerException)
            {
                if (current is RedisConnectionException { FailureType: ConnectionFailureType.AuthenticationFailure }) return true;
                if (current is RedisServerException && IsAuthenticationError(current.Message)) return true;
                if (current is RedisConnectionException && (current.Message.Contains("AuthenticationFailure", StringComparison.Ordinal)
                    || current.Message.Contains("WRONGPASS", StringComparison.Ordinal) || current.Message.Contains("NOAUTH", StringComparison.Ordinal))) return true;
            }

            return false;
        }

        internal static IResult ToProblem(Exception ex) => ex switch
        {
            BadParameterException bad => Problem(StatusCodes.Status400BadRequest, "Invalid request parameter", bad.ErrorId, bad.Message, bad.Parameter),
            MonarchLogsException monarch => monarch.Kind switch
            {
                MonarchErrorKind.InvalidArgument => Problem(StatusCodes.Status400BadRequest, "Invalid request parameter", monarch.ErrorId, monarch.Message, ParameterOf(monarch.ErrorId)),
                MonarchErrorKind.ConnectionError => Problem(StatusCodes.Status503ServiceUnavailable, "Log store unavailable", monarch.ErrorId, monarch.Message, null),
                MonarchErrorKind.OperationTimeout => Problem(StatusCodes.Status504GatewayTimeout, "Log store timed out", monarch.ErrorId, monarch.Message, null),
                MonarchErrorKind.PermissionDenied => Problem(StatusCodes.Status403Forbidden, "Log store refused access", monarch.ErrorId, monarch.Message, null),
                _ => Problem(StatusCodes.Status500InternalServerError, "Log store error", monarch.ErrorId, monarch.Message, null),
            },
            RedisTimeoutException => Problem(StatusCodes.Status504GatewayTimeout, "Log store timed out", "StoreTimeout", "Valkey did not answer in time.", null),
            _ when IsAuthenticationFailure(ex) => AuthenticationFailed(),
            RedisServerException => Problem(StatusCodes.Status503ServiceUnavailable, "Log store refused access", "StorePermissionDenied",
                "The Valkey user of the viewer lacks a permission it needs (see the reader user in docs/operations.md): " + ex.Message, null),
            _ => Problem(StatusCodes.Status503ServiceUnavailable, "Log store unavailable", "StoreUnavailable", "Cannot reach Valkey: " + ex.Message, null),
        };

        private static IResult AuthenticationFailed() =>
            Problem(StatusCodes.Status503ServiceUnavailable, "Log store refused the login", "StoreAuthenticationFailed",
                "Valkey refused the viewer's user name or password (Valkey:User, Valkey:Password or the connection string).", null);

        internal static IResult Problem(int status, string title, string errorId, string detail, string? parameter)
        {
            var extensions = new Dictionary<string, object?> { ["errorId"] = errorId };
            if (parameter is not null) extensions["parameter"] = parameter;
            return Results.Problem(detail: detail, statusCode: status, title: title, extensions: extensions);
        }

        private static string? ParameterOf(string errorId) => errorId switch
        {
            "InvalidCursor" => "after",
            "InvalidLimit" => "limit",
            _ => null,
        };
    }
}
