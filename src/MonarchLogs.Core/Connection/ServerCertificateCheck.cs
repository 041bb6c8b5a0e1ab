using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace MonarchLogs.Core.Connection
{
    /// <summary>
    /// Decides whether a Valkey server's TLS certificate is trusted, and remembers why the last
    /// one was refused, so that a failed connection says "the certificate does not name the host"
    /// instead of "cannot reach" or "refused the password". With a trusted CA the certificate must
    /// chain to that CA (the system's trust store plays no part); without one the system decides.
    /// The certificate must name the host either way.
    /// </summary>
    internal sealed class ServerCertificateCheck
    {
        private const string SubjectAlternativeNameOid = "2.5.29.17";
        private readonly X509Certificate2? _authority;
        private readonly string? _authorityPath;
        private readonly string _host;
        private volatile string? _rejection;

        private ServerCertificateCheck(X509Certificate2? authority, string? authorityPath, string host)
        {
            _authority = authority;
            _authorityPath = authorityPath;
            _host = host;
        }

        /// <summary>Why the certificate of the last TLS handshake was refused; null when it was taken (or none was made).</summary>
        public string? Rejection => _rejection;

        /// <summary>The check for a connection to <paramref name="host"/> (the name the certificate must hold), trusting the CA in <paramref name="authorityPath"/> (PEM) or, when null, the system.</summary>
        /// <exception cref="MonarchLogsException"><c>InvalidTrustedCertificateAuthority</c>: the file is missing, cannot be read, or holds no certificate.</exception>
        public static ServerCertificateCheck Create(string? authorityPath, string host) =>
            new ServerCertificateCheck(authorityPath is null ? null : Load(authorityPath), authorityPath, host);

        private static X509Certificate2 Load(string path)
        {
            if (Directory.Exists(path)) throw Invalid($"The trusted certificate authority file '{path}' is a folder; give the CA's PEM file.");
            if (!File.Exists(path)) throw Invalid($"The trusted certificate authority file '{path}' does not exist.");
            try
            {
                return new X509Certificate2(File.ReadAllBytes(path));
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                throw Invalid($"The trusted certificate authority file '{path}' cannot be read: {ex.Message}");
            }
            catch (CryptographicException)
            {
                throw Invalid($"The trusted certificate authority file '{path}' holds no certificate (expected one in PEM or DER).");
            }
        }

        private static MonarchLogsException Invalid(string message) =>
            new MonarchLogsException(StoreConnection.InvalidTrustedCertificateAuthority, MonarchErrorKind.InvalidArgument, message);

        /// <summary>The validation callback of the connection (StackExchange.Redis's CertificateValidation).</summary>
        public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
        {
            var rejection = Judge(certificate, chain, errors);
            _rejection = rejection;
            return rejection is null;
        }

        private string? Judge(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
        {
            if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0) return "sent no certificate";
            if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
            {
                return $"does not name the host '{_host}' (the host of the connection string, or its sslHost); it names {NamesOf(certificate)}";
            }

            if (_authority is null)
            {
                return errors == SslPolicyErrors.None ? null : "is not trusted by this system (" + Describe(chain) + "); give the CA that signed it as TrustedCertificateAuthorityPath";
            }

            using var own = new X509Chain();
            own.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            own.ChainPolicy.VerificationFlags = X509VerificationFlags.AllowUnknownCertificateAuthority;
            own.ChainPolicy.ExtraStore.Add(_authority);
            var server = certificate as X509Certificate2 ?? new X509Certificate2(certificate);
            own.Build(server);
            var root = own.ChainElements.Count > 0 ? own.ChainElements[own.ChainElements.Count - 1].Certificate : null;
            if (root is null || !root.RawData.SequenceEqual(_authority.RawData))
            {
                return $"is not signed by the trusted certificate authority '{_authorityPath}'";
            }

            // The CA is the one given, so an unknown root is expected; anything else (expired, a CA that may not sign) is not.
            var problems = own.ChainStatus.Where(s => s.Status != X509ChainStatusFlags.NoError && s.Status != X509ChainStatusFlags.UntrustedRoot).ToList();
            return problems.Count == 0 ? null : $"does not verify against the trusted certificate authority '{_authorityPath}' ({string.Join(", ", problems.Select(p => p.Status))})";
        }

        /// <summary>The host names and addresses a certificate is for, so that a refusal shows what it would take.</summary>
        private static string NamesOf(X509Certificate certificate)
        {
            var server = certificate as X509Certificate2 ?? new X509Certificate2(certificate);
            var names = new List<string>();
#if NET8_0_OR_GREATER
            foreach (var extension in server.Extensions)
            {
                if (extension.Oid?.Value != SubjectAlternativeNameOid) continue;
                var alternatives = new X509SubjectAlternativeNameExtension(extension.RawData, extension.Critical);
                names.AddRange(alternatives.EnumerateDnsNames());
                names.AddRange(alternatives.EnumerateIPAddresses().Select(address => address.ToString()));
            }
#endif
            if (names.Count == 0 && server.GetNameInfo(X509NameType.DnsName, forIssuer: false) is { Length: > 0 } name) names.Add(name);
            return names.Count == 0 ? "no host" : string.Join(", ", names.Select(n => "'" + n + "'"));
        }

        private static string Describe(X509Chain? chain)
        {
            var statuses = chain?.ChainStatus.Where(s => s.Status != X509ChainStatusFlags.NoError).Select(s => s.Status.ToString()).Distinct().ToList();
            return statuses is { Count: > 0 } ? string.Join(", ", statuses) : "its chain does not verify";
        }
    }
}
