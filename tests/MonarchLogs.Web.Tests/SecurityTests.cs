using System;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using MonarchLogs.Core;
using MonarchLogs.Viewer;
using MonarchLogs.Web.Security;
using Xunit;
using static MonarchLogs.Web.Tests.Seed;

namespace MonarchLogs.Web.Tests
{
    public sealed class SecurityTests : IClassFixture<ValkeyFixture>
    {
        private readonly ValkeyFixture _valkey;

        public SecurityTests(ValkeyFixture valkey) => _valkey = valkey;

        [Fact]
        public async Task The_page_and_its_assets_come_from_the_assembly_with_a_strict_content_security_policy()
        {
            await using var viewer = await ViewerSession.StartAsync(_valkey);
            using var noRedirect = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = viewer.Root };

            using var bare = await noRedirect.GetAsync("logs?level=error");
            Assert.Equal(HttpStatusCode.Redirect, bare.StatusCode);
            Assert.Equal("/logs/?level=error", bare.Headers.Location?.ToString());

            using var page = await viewer.Http.GetAsync("");
            page.EnsureSuccessStatusCode();
            Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
            var csp = page.Headers.GetValues("Content-Security-Policy").Single();
            Assert.Contains("script-src 'self'", csp);
            Assert.Contains("default-src 'none'", csp);
            Assert.DoesNotContain("unsafe", csp);
            Assert.Equal("nosniff", page.Headers.GetValues("X-Content-Type-Options").Single());
            Assert.Contains("<script src=\"app.js\"", await page.Content.ReadAsStringAsync());

            using var script = await viewer.Http.GetAsync("app.js");
            Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
            var source = await script.Content.ReadAsStringAsync();
            Assert.DoesNotContain("innerHTML", source);
            Assert.DoesNotContain("insertAdjacentHTML", source);
            Assert.DoesNotContain("eval(", source);

            using var revalidate = new HttpRequestMessage(HttpMethod.Get, "app.css");
            revalidate.Headers.TryAddWithoutValidation("If-None-Match", (await viewer.Http.GetAsync("app.css")).Headers.ETag!.ToString());
            using var notModified = await viewer.Http.SendAsync(revalidate);
            Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        }

        [Fact]
        public async Task A_bearer_token_is_required_when_configured()
        {
            await using var viewer = await ViewerSession.StartAsync(_valkey, options => options.BearerToken = "s3cret-token");

            using var anonymous = await viewer.Http.GetAsync("api/services");
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            Assert.Equal("Unauthorized", await ErrorIdAsync(anonymous));
            Assert.Contains(anonymous.Headers.WwwAuthenticate, h => h.Scheme == "Bearer");

            using var wrong = new HttpRequestMessage(HttpMethod.Get, "api/services");
            wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "s3cret-tokeN");
            Assert.Equal(HttpStatusCode.Unauthorized, (await viewer.Http.SendAsync(wrong)).StatusCode);

            using var right = new HttpRequestMessage(HttpMethod.Get, "api/services");
            right.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "s3cret-token");
            Assert.Equal(HttpStatusCode.OK, (await viewer.Http.SendAsync(right)).StatusCode);

            // A browser opens the page once with ?token=; the token moves into an HttpOnly cookie.
            var cookies = new CookieContainer();
            using var browser = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = viewer.BaseUri };
            using var first = await browser.GetAsync("?token=s3cret-token&level=error");
            Assert.Equal(HttpStatusCode.Redirect, first.StatusCode);
            Assert.Equal("/logs/?level=error", first.Headers.Location?.ToString());
            Assert.Contains("httponly", first.Headers.GetValues("Set-Cookie").Single(), StringComparison.OrdinalIgnoreCase);
            Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("api/services")).StatusCode);
        }

        [Fact]
        public async Task Basic_auth_is_required_when_configured()
        {
            await using var viewer = await ViewerSession.StartAsync(_valkey, options =>
            {
                options.BasicAuthUser = "ops";
                options.BasicAuthPassword = "pa:ss";
            });

            using var anonymous = await viewer.Http.GetAsync("");
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            Assert.Contains(anonymous.Headers.WwwAuthenticate, h => h.Scheme == "Basic");

            Assert.Equal(HttpStatusCode.Unauthorized, await GetWithBasicAsync(viewer, "ops:wrong"));
            Assert.Equal(HttpStatusCode.Unauthorized, await GetWithBasicAsync(viewer, "other:pa:ss"));
            Assert.Equal(HttpStatusCode.OK, await GetWithBasicAsync(viewer, "ops:pa:ss"));
        }

        [Fact]
        public async Task Without_auth_a_request_naming_another_host_is_refused()
        {
            await using var viewer = await ViewerSession.StartAsync(_valkey);
            await viewer.AppendAsync(Entry("secret", MonarchLogLevel.Information, HourStart, "not for other sites"));

            using var rebinding = new HttpRequestMessage(HttpMethod.Get, "api/logs");
            rebinding.Headers.Host = "attacker.example:" + viewer.BaseUri.Port;
            using var refused = await viewer.Http.SendAsync(rebinding);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Equal("ViewerAuthRequired", await ErrorIdAsync(refused));

            using var local = new HttpRequestMessage(HttpMethod.Get, "api/logs");
            local.Headers.Host = "localhost:" + viewer.BaseUri.Port;
            Assert.Equal(HttpStatusCode.OK, (await viewer.Http.SendAsync(local)).StatusCode);
        }

        [Theory]
        [InlineData("http://127.0.0.1:8081", true)]
        [InlineData("http://127.0.0.2:0", true)]
        [InlineData("http://localhost:5000", true)]
        [InlineData("http://[::1]:8081", true)]
        [InlineData("https://LOCALHOST", true)]
        [InlineData("http://0.0.0.0:8081", false)]
        [InlineData("http://*:8081", false)]
        [InlineData("http://+:8081", false)]
        [InlineData("http://[::]:8081", false)]
        [InlineData("http://192.168.1.20:8081", false)]
        [InlineData("http://myhost:8081", false)]
        public void Listening_urls_are_loopback_only_when_they_name_loopback(string url, bool loopback)
        {
            Assert.Equal(loopback, LoopbackAddresses.IsLoopbackUrl(url));
        }

        [Theory]
        [InlineData("http://0.0.0.0:0")]
        [InlineData("http://127.0.0.1:0;http://[::]:0")]
        public async Task Standalone_refuses_to_listen_beyond_loopback_without_auth(string urls)
        {
            var error = Console.Error;
            var captured = new System.IO.StringWriter();
            int exitCode;
            await ConsoleLock.WaitAsync();
            try
            {
                Console.SetError(captured);
                exitCode = await StandaloneViewer.RunAsync(new[] { "--urls", urls, "--Valkey:ConnectionString", _valkey.Server.ConnectionString });
            }
            finally
            {
                Console.SetError(error);
                ConsoleLock.Release();
            }

            Assert.Equal(2, exitCode);
            var message = captured.ToString().Trim();
            Assert.DoesNotContain("\n", message);
            Assert.Contains("refusing to listen", message);
            Assert.Contains("Viewer:BearerToken", message);

            // With auth configured the same binding is allowed.
            await using var app = StandaloneViewer.Build(new[] { "--urls", urls, "--Viewer:BearerToken", "t" });
            Assert.NotNull(app);
        }

        [Fact]
        public async Task Standalone_serves_the_page_and_api_at_the_root_on_loopback()
        {
            var prefix = "test:" + Guid.NewGuid().ToString("N");
            await using var app = StandaloneViewer.Build(new[]
            {
                "--urls", "http://127.0.0.1:0", "--Valkey:ConnectionString", _valkey.Server.ConnectionString, "--Valkey:Prefix", prefix,
            });
            await app.StartAsync();
            try
            {
                var store = new MonarchLogs.Core.Storage.LogStore(_valkey.Connection, new MonarchLogs.Core.Format.StorageFormat(prefix));
                await store.AppendAsync(new[] { Entry("standalone", MonarchLogLevel.Warning, HourStart, "at the root") });
                using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
                Assert.Contains("<title>MonarchLogs</title>", await http.GetStringAsync("/"));
                using var json = JsonDocument.Parse(await http.GetStringAsync("/api/logs"));
                Assert.Equal("at the root", json.RootElement.GetProperty("entries")[0].GetProperty("message").GetString());
            }
            finally
            {
                await app.StopAsync();
            }
        }

        [Fact]
        public async Task Standalone_listens_on_127_0_0_1_port_8081_when_not_told_otherwise()
        {
            await using var byDefault = StandaloneViewer.Build(Array.Empty<string>());
            Assert.Equal("http://127.0.0.1:8081", byDefault.Configuration["urls"]);

            await using var told = StandaloneViewer.Build(new[] { "--urls", "http://127.0.0.1:9999" });
            Assert.Equal("http://127.0.0.1:9999", told.Configuration["urls"]);
        }

        [Theory]
        [InlineData("--Viewer:BasicAuth:User", "ops", "Viewer:BasicAuth needs both User and Password")]
        [InlineData("--Valkey:ConnectionString", "localhost:6379,abortConnect=maybe", "Valkey:ConnectionString: The connection string is not valid")]
        [InlineData("--Valkey:TrustedCertificateAuthorityPath", "/nonexistent/monarchlogs-ca.pem", "Valkey:TrustedCertificateAuthorityPath: The trusted certificate authority file '/nonexistent/monarchlogs-ca.pem' does not exist. [InvalidTrustedCertificateAuthority]")]
        [InlineData("--Viewer:Valkey:TrustedCertificateAuthorityPath", "/nonexistent/monarchlogs-ca.pem", "Viewer:Valkey:TrustedCertificateAuthorityPath: The trusted certificate authority file '/nonexistent/monarchlogs-ca.pem' does not exist. [InvalidTrustedCertificateAuthority]")]
        public async Task Standalone_stops_with_one_line_on_bad_settings(string setting, string value, string expected)
        {
            var error = Console.Error;
            var captured = new System.IO.StringWriter();
            int exitCode;
            await ConsoleLock.WaitAsync();
            try
            {
                Console.SetError(captured);
                exitCode = await StandaloneViewer.RunAsync(new[] { "--urls", "http://127.0.0.1:0", setting, value });
            }
            finally
            {
                Console.SetError(error);
                ConsoleLock.Release();
            }

            Assert.Equal(2, exitCode);
            var message = captured.ToString().Trim();
            Assert.DoesNotContain("\n", message);
            Assert.StartsWith("monarchlogs-viewer: " + expected, message);
        }

        [Fact]
        public async Task A_wrong_password_is_503_ValkeyAuthenticationFailed_even_when_the_default_user_is_open()
        {
            // The fixture's server leaves default open (nopass): a refused AUTH would go on as default.
            var prefix = ViewerSession.NewPrefix();
            var user = "viewer-" + Guid.NewGuid().ToString("N").Substring(0, 8);
            await _valkey.Connection.GetDatabase().ExecuteAsync("ACL", "SETUSER", user, "on", ">right-secret", "~*", "&*", "+@all");
            await using var refused = await ViewerSession.StartAsync(_valkey, options =>
            {
                options.User = user;
                options.Password = "wrong-secret";
            }, prefix: prefix);
            await refused.AppendAsync(Entry("acl", MonarchLogLevel.Error, HourStart, "not for the default user"));

            foreach (var path in new[] { "api/logs", "api/stats", "api/services", "api/stream" })
            {
                using var denied = await refused.Http.GetAsync(path);
                var body = await denied.Content.ReadAsStringAsync();
                Assert.True(denied.StatusCode == HttpStatusCode.ServiceUnavailable, path + ": " + (int)denied.StatusCode + " " + body);
                Assert.Equal("ValkeyAuthenticationFailed", await ErrorIdAsync(denied));
                Assert.DoesNotContain("not for the default user", body);
                Assert.DoesNotContain("wrong-secret", body);
            }
        }

        [Fact]
        public async Task The_viewer_works_as_the_documented_read_only_acl_user()
        {
            // A server of its own: the default user gets a password, as on a server that uses ACL users.
            var valkey = new ValkeyFixture();
            await valkey.InitializeAsync();
            try
            {
                var prefix = ViewerSession.NewPrefix();
                // The reader rules of docs/operations.md, for this test's key prefix.
                var rules = $"on >r-secret resetkeys resetchannels -@all +ping +hello +auth +client|setname +client|setinfo +select +acl|whoami +echo +info +get +hgetall +hmget +xrange +xrevrange +xread +xlen +zrangebyscore +zrevrangebyscore +memory|usage +multi +exec +subscribe +unsubscribe %R~{prefix}:format %R~{prefix}:partitions %R~{prefix}:stream:* %R~{prefix}:counts:* %R~{prefix}:head:* %R~{prefix}:late:* &{prefix}:notify";
                var admin = valkey.Connection.GetDatabase();
                await admin.ExecuteAsync("ACL", new object[] { "SETUSER", "monarch-reader" }.Concat(rules.Split(' ')).ToArray());
                await admin.ExecuteAsync("ACL", "SETUSER", "default", "resetpass", ">admin-secret");

                await using var viewer = await ViewerSession.StartAsync(valkey, options =>
                {
                    options.User = "monarch-reader";
                    options.Password = "r-secret";
                }, prefix: prefix);
                await viewer.AppendAsync(Entry("acl", MonarchLogLevel.Error, HourStart, "read with the reader user"));

                Assert.Equal(new[] { "read with the reader user" }, await LogsApiTests.MessagesAsync(viewer, "api/logs"));
                using (var services = await viewer.GetJsonAsync("api/services")) Assert.Equal(1, services.RootElement.GetProperty("services").GetArrayLength());
                using (var stats = await viewer.GetJsonAsync("api/stats?since=-1d")) Assert.Equal(1, stats.RootElement.GetProperty("total").GetInt32());
                using (var export = await viewer.Http.GetAsync("api/logs.csv")) Assert.Contains("read with the reader user", await export.Content.ReadAsStringAsync());
                using (var stream = await viewer.Http.GetAsync("api/stream", HttpCompletionOption.ResponseHeadersRead))
                {
                    Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
                    using var reader = new System.IO.StreamReader(await stream.Content.ReadAsStreamAsync());
                    using var timeout = new System.Threading.CancellationTokenSource(TimeSpan.FromSeconds(10));
                    string? line;
                    while ((line = await reader.ReadLineAsync(timeout.Token)) != "event: ready") Assert.NotNull(line);
                }

                // A wrong password is told apart from an unreachable server.
                await using var refused = await ViewerSession.StartAsync(valkey, options =>
                {
                    // Short enough to keep the test quick, long enough for a loaded machine to get the AUTH reply in.
                    options.ConnectionString = valkey.Server.ConnectionString + ",connectTimeout=3000,asyncTimeout=3000";
                    options.User = "monarch-reader";
                    options.Password = "wrong";
                }, prefix: prefix);
                using var denied = await refused.Http.GetAsync("api/logs");
                var body = await denied.Content.ReadAsStringAsync();
                Assert.True(denied.StatusCode == HttpStatusCode.ServiceUnavailable, body);
                Assert.True(body.Contains("\"errorId\":\"ValkeyAuthenticationFailed\"", StringComparison.Ordinal), body);
            }
            finally
            {
                await valkey.DisposeAsync();
            }
        }

        [Fact]
        public async Task A_password_changed_on_the_server_is_reported_as_refused_after_the_reconnect()
        {
            var valkey = new ValkeyFixture();
            await valkey.InitializeAsync();
            try
            {
                var prefix = ViewerSession.NewPrefix();
                var admin = valkey.Connection.GetDatabase();
                await admin.ExecuteAsync("ACL", "SETUSER", "rotated", "on", ">old-secret", "~*", "&*", "+@all");
                // As on a server that uses ACL users: the default user is not open.
                await admin.ExecuteAsync("ACL", "SETUSER", "default", "resetpass", ">admin-secret");
                await using var viewer = await ViewerSession.StartAsync(valkey, options =>
                {
                    options.ConnectionString = valkey.Server.ConnectionString + ",connectTimeout=2000,asyncTimeout=2000";
                    options.User = "rotated";
                    options.Password = "old-secret";
                }, prefix: prefix);
                await viewer.AppendAsync(Entry("acl", MonarchLogLevel.Error, HourStart, "before the rotation"));
                Assert.Equal(new[] { "before the rotation" }, await LogsApiTests.MessagesAsync(viewer, "api/logs"));

                // The password is rotated and the viewer's connections are closed: it reconnects with the old one.
                await admin.ExecuteAsync("ACL", "SETUSER", "rotated", "resetpass", ">new-secret");
                await admin.ExecuteAsync("CLIENT", "KILL", "USER", "rotated");

                // Until the client's reconnect has been refused, the connection is only gone
                // (ValkeyUnreachable); once refused, the viewer says so. Never a 200 or a 500.
                string? errorId = null;
                var refusedBy = DateTime.UtcNow.AddSeconds(15);
                do
                {
                    using var denied = await viewer.Http.GetAsync("api/logs");
                    var body = await denied.Content.ReadAsStringAsync();
                    Assert.True(denied.StatusCode == HttpStatusCode.ServiceUnavailable, (int)denied.StatusCode + " " + body);
                    Assert.DoesNotContain("secret", body);
                    errorId = await ErrorIdAsync(denied);
                    Assert.True(errorId == "ValkeyAuthenticationFailed" || errorId == "ValkeyUnreachable", body);
                    if (errorId != "ValkeyAuthenticationFailed") await Task.Delay(200);
                }
                while (errorId != "ValkeyAuthenticationFailed" && DateTime.UtcNow < refusedBy);
                Assert.Equal("ValkeyAuthenticationFailed", errorId);

                // Put right on the server, the viewer reads again without a restart.
                await admin.ExecuteAsync("ACL", "SETUSER", "rotated", "resetpass", ">old-secret");
                var deadline = DateTime.UtcNow.AddSeconds(20);
                HttpStatusCode status;
                do
                {
                    await Task.Delay(200);
                    using var again = await viewer.Http.GetAsync("api/logs");
                    status = again.StatusCode;
                }
                while (status != HttpStatusCode.OK && DateTime.UtcNow < deadline);
                Assert.Equal(HttpStatusCode.OK, status);
            }
            finally
            {
                await valkey.DisposeAsync();
            }
        }

        private static readonly System.Threading.SemaphoreSlim ConsoleLock = new System.Threading.SemaphoreSlim(1, 1);

        private static async Task<HttpStatusCode> GetWithBasicAsync(ViewerSession viewer, string credentials)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "api/levels");
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)));
            using var response = await viewer.Http.SendAsync(request);
            return response.StatusCode;
        }

        private static async Task<string?> ErrorIdAsync(HttpResponseMessage response)
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            return json.RootElement.GetProperty("errorId").GetString();
        }
    }
}
