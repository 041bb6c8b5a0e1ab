using System;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using MonarchLogs.Web.Api;
using MonarchLogs.Web.Hosting;

namespace MonarchLogs.Web.Security
{
    /// <summary>
    /// Guards every viewer endpoint and sets the page's security headers.
    /// With a bearer token or basic auth configured, a caller must present one of them (a
    /// browser may also open the page once with <c>?token=</c>, which sets an HttpOnly cookie,
    /// since EventSource cannot send headers). Without auth, only a loopback client that names
    /// a loopback host is served: the Host check stops a hostile web page from reading the
    /// viewer through DNS rebinding.
    /// </summary>
    internal sealed class ViewerAccessFilter : IEndpointFilter
    {
        internal const string TokenCookie = "MonarchLogs.Token";
        internal const string ContentSecurityPolicy =
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
            "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

        private readonly IOptions<MonarchLogViewerOptions> _options;

        public ViewerAccessFilter(IOptions<MonarchLogViewerOptions> options) => _options = options;

        public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
        {
            var http = context.HttpContext;
            var headers = http.Response.Headers;
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "no-referrer";

            var options = _options.Value;
            if (!options.RequiresAuth)
            {
                if (options.AllowRemoteAccessWithoutAuth || IsLocal(http)) return next(context);
                return new ValueTask<object?>(ViewerErrorFilter.Problem(StatusCodes.Status403Forbidden, "Viewer is local only", "ViewerAuthRequired",
                    "This log viewer has no authentication configured, so it answers only on this machine (a loopback client addressing localhost or 127.0.0.1). Configure Viewer:BearerToken or Viewer:BasicAuth to open it to other machines.", null));
            }

            if (IsAuthenticated(http, options)) return next(context);
            if (options.HasBearerToken && http.Request.Query.TryGetValue("token", out var token) && Matches(token.ToString(), options.BearerToken)
                && HttpMethods.IsGet(http.Request.Method))
            {
                return new ValueTask<object?>(SetTokenCookie(http, token.ToString()));
            }

            var challenges = new System.Collections.Generic.List<string>();
            if (options.HasBasicAuth) challenges.Add("Basic realm=\"MonarchLogs\", charset=\"UTF-8\"");
            if (options.HasBearerToken) challenges.Add("Bearer realm=\"MonarchLogs\"");
            headers.WWWAuthenticate = string.Join(", ", challenges);
            return new ValueTask<object?>(ViewerErrorFilter.Problem(StatusCodes.Status401Unauthorized, "Authentication required", "Unauthorized",
                options.HasBearerToken
                    ? "This log viewer requires authentication: send Authorization: Bearer <token>, or open the page once with ?token=<token>."
                    : "This log viewer requires authentication with the configured user name and password.", null));
        }

        private static bool IsLocal(HttpContext http)
        {
            var remote = http.Connection.RemoteIpAddress;
            if (remote is not null && !LoopbackAddresses.IsLoopback(remote)) return false;
            var host = http.Request.Host;
            return host.HasValue && LoopbackAddresses.IsLoopbackHost(host.Host);
        }

        private static bool IsAuthenticated(HttpContext http, MonarchLogViewerOptions options)
        {
            var authorization = http.Request.Headers.Authorization.ToString();
            if (options.HasBearerToken)
            {
                if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && Matches(authorization.Substring(7).Trim(), options.BearerToken)) return true;
                if (http.Request.Cookies.TryGetValue(TokenCookie, out var cookie) && Matches(cookie, options.BearerToken)) return true;
            }

            if (options.HasBasicAuth && authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
            {
                string decoded;
                try
                {
                    decoded = Encoding.UTF8.GetString(Convert.FromBase64String(authorization.Substring(6).Trim()));
                }
                catch (FormatException)
                {
                    return false;
                }

                var colon = decoded.IndexOf(':');
                if (colon < 0) return false;
                // Both halves are always compared, so the time taken tells nothing about which was wrong.
                var userMatches = Matches(decoded.Substring(0, colon), options.BasicAuthUser);
                var passwordMatches = Matches(decoded.Substring(colon + 1), options.BasicAuthPassword);
                return userMatches & passwordMatches;
            }

            return false;
        }

        /// <summary>Compares hashes in constant time, so neither the content nor the length of a secret leaks through timing.</summary>
        private static bool Matches(string? given, string? expected)
        {
            if (string.IsNullOrEmpty(given) || string.IsNullOrEmpty(expected)) return false;
            return CryptographicOperations.FixedTimeEquals(
                SHA256.HashData(Encoding.UTF8.GetBytes(given)),
                SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
        }

        /// <summary>Keeps the token in an HttpOnly cookie and reloads the page without it in the address bar.</summary>
        private static IResult SetTokenCookie(HttpContext http, string token)
        {
            var request = http.Request;
            var path = (request.PathBase + request.Path).Value ?? "/";
            var mount = http.GetEndpoint()?.Metadata.GetMetadata<ViewerMountMetadata>()?.Prefix ?? string.Empty;
            var mountPath = (request.PathBase.Value ?? string.Empty) + mount + "/";
            http.Response.Cookies.Append(TokenCookie, token, new CookieOptions
            {
                HttpOnly = true,
                SameSite = Microsoft.AspNetCore.Http.SameSiteMode.Strict,
                Secure = request.IsHttps,
                Path = mountPath,
            });
            var query = QueryWithout(request.Query, "token");
            http.Response.Headers.CacheControl = CacheControlHeaderValue.NoStoreString;
            return Results.Redirect(path + query);
        }

        private static string QueryWithout(IQueryCollection query, string name)
        {
            var builder = new QueryBuilder();
            foreach (var pair in query)
            {
                if (string.Equals(pair.Key, name, StringComparison.OrdinalIgnoreCase)) continue;
                foreach (var value in pair.Value) builder.Add(pair.Key, value ?? string.Empty);
            }

            return builder.ToString();
        }
    }
}
