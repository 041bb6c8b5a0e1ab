using System;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text.Json;
using System.Threading.Tasks;
using MonarchLogs.Core;
using MonarchLogs.Testing;
using Xunit;
using static MonarchLogs.Web.Tests.Seed;

namespace MonarchLogs.Web.Tests
{
    /// <summary>A valkey-server that speaks TLS only, with a certificate signed by a CA made for the test class, and a second CA.</summary>
    public sealed class TlsValkeyFixture : IAsyncLifetime
    {
        public ValkeyServer Server { get; private set; } = null!;

        public StackExchange.Redis.ConnectionMultiplexer Connection { get; private set; } = null!;

        public TestCertificateAuthority OtherAuthority { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Server = await ValkeyServer.StartWithTlsAsync();
            Connection = Server.Connect();
            OtherAuthority = TestCertificateAuthority.Create(Server.Directory, "other-ca");
        }

        public async Task DisposeAsync()
        {
            await Connection.DisposeAsync();
            await Server.DisposeAsync();
        }
    }

    /// <summary>
    /// The viewer over TLS with a private CA (Valkey:TrustedCertificateAuthorityPath): it reads
    /// the store; a certificate of another CA, or one that does not name the host, is refused
    /// with 503 <c>ValkeyCertificateRejected</c> and the reason, and /healthz says so.
    /// </summary>
    public sealed class TlsTests : IClassFixture<TlsValkeyFixture>
    {
        private readonly TlsValkeyFixture _tls;

        public TlsTests(TlsValkeyFixture tls) => _tls = tls;

        [Fact]
        public async Task Over_TLS_with_a_private_CA_the_viewer_reads_the_store()
        {
            await using var viewer = await ViewerSession.StartAsync(_tls.Server.ConnectionString, _tls.Connection,
                options => options.TrustedCertificateAuthorityPath = _tls.Server.CertificateAuthority!.CertificatePath);
            await viewer.AppendAsync(Entry("tls", MonarchLogLevel.Warning, HourStart, "read over TLS"));

            using var json = await viewer.GetJsonAsync("api/logs");
            Assert.Equal("read over TLS", json.RootElement.GetProperty("entries")[0].GetProperty("message").GetString());
            Assert.Equal("Healthy", await viewer.Http.GetStringAsync("healthz"));
        }

        [Theory]
        [InlineData("other CA")]
        [InlineData("other host")]
        public async Task A_certificate_that_does_not_match_is_503_ValkeyCertificateRejected_with_the_reason(string refusal)
        {
            var (connectionString, authority, reason) = refusal == "other CA"
                ? (_tls.Server.ConnectionString, _tls.OtherAuthority.CertificatePath, $"is not signed by the trusted certificate authority '{_tls.OtherAuthority.CertificatePath}'.")
                : (_tls.Server.ConnectionString + ",sslHost=valkey.example", _tls.Server.CertificateAuthority!.CertificatePath, "does not name the host 'valkey.example'");
            await using var viewer = await ViewerSession.StartAsync(connectionString, _tls.Connection, options => options.TrustedCertificateAuthorityPath = authority);

            using var response = await viewer.Http.GetAsync("api/logs");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal("ValkeyCertificateRejected", problem.RootElement.GetProperty("errorId").GetString());
            var detail = problem.RootElement.GetProperty("detail").GetString()!;
            Assert.StartsWith($"Valkey at {_tls.Server.Endpoint} presented a TLS certificate that ", detail);
            Assert.Contains(reason, detail);

            using var health = await viewer.Http.GetAsync("healthz");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
            Assert.Equal("Unhealthy: ValkeyCertificateRejected", await health.Content.ReadAsStringAsync());
        }
    }
}
