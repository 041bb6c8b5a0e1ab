using System;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using MonarchLogs.Core.Connection;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Query;
using MonarchLogs.Core.Storage;
using MonarchLogs.Testing;
using static MonarchLogs.Core.Tests.StoreExtensions;

namespace MonarchLogs.Core.Tests
{
    /// <summary>A valkey-server that speaks TLS only, with a certificate signed by a CA made for the test class.</summary>
    public sealed class TlsValkeyFixture : IAsyncLifetime
    {
        public ValkeyServer Server { get; private set; } = null!;

        /// <summary>A CA that signed nothing the server presents.</summary>
        public TestCertificateAuthority OtherAuthority { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Server = await ValkeyServer.StartWithTlsAsync();
            OtherAuthority = TestCertificateAuthority.Create(Server.Directory, "other-ca");
        }

        public Task DisposeAsync()
        {
            Server.Dispose();
            return Task.CompletedTask;
        }
    }

    /// <summary>
    /// The one connection factory over TLS with a private CA: a certificate the CA signed for the
    /// host is taken; one of another CA, one that names another host, and one the system does not
    /// trust are each refused with <c>ValkeyCertificateRejected</c> and why, whether the host waits
    /// for the connection (the cmdlets) or connects in the background (the viewer, the writer).
    /// </summary>
    public sealed class TlsConnectionTests : IClassFixture<TlsValkeyFixture>
    {
        private readonly TlsValkeyFixture _tls;

        public TlsConnectionTests(TlsValkeyFixture tls) => _tls = tls;

        private StoreConnectionSettings Settings(string? authority, string options = "") => new StoreConnectionSettings
        {
            ConnectionString = _tls.Server.ConnectionString + options,
            TrustedCertificateAuthorityPath = authority,
            Prefix = "tls:" + Guid.NewGuid().ToString("N"),
        };

        [Theory]
        [InlineData("")]
        [InlineData(",sslHost=localhost")]
        public async Task A_certificate_the_trusted_CA_signed_for_the_host_is_taken(string options)
        {
            var settings = Settings(_tls.Server.CertificateAuthority!.CertificatePath, options);
            using var connection = await StoreConnection.ConnectAsync(StoreConnection.CreateOptions(settings));
            var store = new LogStore(connection, new StorageFormat(settings.Prefix));
            await store.AppendAsync(new[] { Entry("tls", MonarchLogLevel.Warning, BaseTime, "over TLS") });
            Assert.Equal("over TLS", Assert.Single(await store.ToListAsync(new LogQuery())).Message);
        }

        /// <summary>
        /// A server whose certificate an intermediate CA signed presents both; trusting the root,
        /// the intermediate, or a bundle of both (in either order) takes it, as openssl does.
        /// </summary>
        [Theory]
        [InlineData("root")]
        [InlineData("intermediate")]
        [InlineData("intermediate, root")]
        [InlineData("root, intermediate")]
        public async Task A_certificate_an_intermediate_CA_signed_is_taken_with_the_root_or_a_bundle(string trusted)
        {
            var root = TestCertificateAuthority.Create(_tls.Server.Directory, "root-" + Guid.NewGuid().ToString("N").Substring(0, 8));
            var intermediate = root.IssueIntermediate(_tls.Server.Directory, "intermediate-" + Guid.NewGuid().ToString("N").Substring(0, 8));
            using var server = await ValkeyServer.StartWithTlsAsync(intermediate);
            var file = Path.Combine(server.Directory, "trusted.pem");
            File.WriteAllText(file, string.Concat(trusted.Split(", ").Select(name => File.ReadAllText(name == "root" ? root.CertificatePath : intermediate.CertificatePath))));
            var settings = new StoreConnectionSettings { ConnectionString = server.ConnectionString, TrustedCertificateAuthorityPath = file };

            using var connection = await StoreConnection.ConnectAsync(StoreConnection.CreateOptions(settings));
            var store = new LogStore(connection, new StorageFormat(settings.Prefix));
            await store.AppendAsync(new[] { Entry("tls", MonarchLogLevel.Warning, BaseTime, "through an intermediate") });
            Assert.Equal("through an intermediate", Assert.Single(await store.ToListAsync(new LogQuery())).Message);

            // Trusting another CA alone still refuses it.
            File.WriteAllText(file, File.ReadAllText(_tls.OtherAuthority.CertificatePath));
            var refused = await Assert.ThrowsAsync<MonarchLogsException>(() => StoreConnection.ConnectAsync(StoreConnection.CreateOptions(settings)));
            Assert.Equal(StoreErrors.CertificateRejected, refused.ErrorId);
        }

        public static TheoryData<string, string> Refusals => new TheoryData<string, string>
        {
            { "other CA", "presented a TLS certificate that is not signed by the trusted certificate authority '{other}'." },
            { "other host", "presented a TLS certificate that does not name the host 'valkey.example' (the host of the connection string, or its sslHost); it names 'localhost', '127.0.0.1'." },
            { "system trust", "presented a TLS certificate that is not trusted by this system (UntrustedRoot); give the CA that signed it as TrustedCertificateAuthorityPath." },
        };

        private (StoreConnectionSettings Settings, string Message) Refused(string refusal, string message)
        {
            var settings = refusal switch
            {
                "other CA" => Settings(_tls.OtherAuthority.CertificatePath),
                "other host" => Settings(_tls.Server.CertificateAuthority!.CertificatePath, ",sslHost=valkey.example"),
                _ => Settings(null),
            };
            return (settings, $"Valkey at {_tls.Server.Endpoint} " + message.Replace("{other}", _tls.OtherAuthority.CertificatePath, StringComparison.Ordinal));
        }

        [Theory]
        [MemberData(nameof(Refusals))]
        public async Task A_certificate_that_does_not_match_is_refused_at_connect_with_the_reason(string refusal, string message)
        {
            var (settings, expected) = Refused(refusal, message);
            var refused = await Assert.ThrowsAsync<MonarchLogsException>(() => StoreConnection.ConnectAsync(StoreConnection.CreateOptions(settings)));
            Assert.Equal(StoreErrors.CertificateRejected, refused.ErrorId);
            Assert.Equal(MonarchErrorKind.ConnectionError, refused.Kind);
            Assert.Equal(expected, refused.Message);
        }

        [Theory]
        [MemberData(nameof(Refusals))]
        public async Task A_certificate_that_does_not_match_refuses_every_read_of_a_background_connection(string refusal, string message)
        {
            var (settings, expected) = Refused(refusal, message);
            using var connection = StoreConnection.ConnectInBackground(StoreConnection.CreateOptions(settings));
            var store = new LogStore(connection, new StorageFormat(settings.Prefix));
            var refused = await Assert.ThrowsAsync<MonarchLogsException>(() => store.ToListAsync(new LogQuery()));
            Assert.Equal(StoreErrors.CertificateRejected, refused.ErrorId);
            Assert.Equal(expected, refused.Message);
            var append = await Assert.ThrowsAsync<MonarchLogsException>(() => store.AppendAsync(new[] { Entry("tls", MonarchLogLevel.Warning, BaseTime) }));
            Assert.Equal(StoreErrors.CertificateRejected, append.ErrorId);
        }

        [Fact]
        public void A_trusted_CA_that_cannot_be_used_is_one_line_with_its_id()
        {
            var missing = Path.Combine(_tls.Server.Directory, "missing", "ca.pem");
            var notACertificate = Path.Combine(_tls.Server.Directory, "not-a-certificate.pem");
            File.WriteAllText(notACertificate, "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n");
            var empty = Path.Combine(_tls.Server.Directory, "empty.pem");
            File.WriteAllText(empty, "\n");

            Assert.Equal(
                new[] { $"TrustedCertificateAuthorityPath: The trusted certificate authority file '{missing}' does not exist. [InvalidTrustedCertificateAuthority]" },
                Settings(missing).Problems());
            Assert.Equal(
                new[] { $"TrustedCertificateAuthorityPath: The trusted certificate authority file '{_tls.Server.Directory}' is a folder; give the CA's PEM file. [InvalidTrustedCertificateAuthority]" },
                Settings(_tls.Server.Directory).Problems());
            Assert.Equal(
                new[] { $"TrustedCertificateAuthorityPath: The trusted certificate authority file '{notACertificate}' holds no certificate (expected one in PEM or DER). [InvalidTrustedCertificateAuthority]" },
                Settings(notACertificate).Problems());
            Assert.Equal(
                new[] { $"TrustedCertificateAuthorityPath: The trusted certificate authority file '{empty}' is empty (expected a certificate in PEM or DER). [InvalidTrustedCertificateAuthority]" },
                Settings(empty).Problems());
            var plain = new StoreConnectionSettings { ConnectionString = "127.0.0.1:6379", TrustedCertificateAuthorityPath = _tls.Server.CertificateAuthority!.CertificatePath };
            Assert.Equal(
                new[] { $"TrustedCertificateAuthorityPath: A trusted certificate authority ('{plain.TrustedCertificateAuthorityPath}') is given, but the connection string does not turn TLS on: add ssl=true. [InvalidTrustedCertificateAuthority]" },
                plain.Problems());
            var thrown = Assert.Throws<MonarchLogsException>(() => StoreConnection.CreateOptions(Settings(missing)));
            Assert.Equal(StoreConnection.InvalidTrustedCertificateAuthority, thrown.ErrorId);
            Assert.Empty(Settings(_tls.Server.CertificateAuthority.CertificatePath).Problems());
        }
    }
}
