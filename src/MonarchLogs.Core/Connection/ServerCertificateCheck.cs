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
    /// instead of "cannot reach" or "refused the password". With a trusted CA file the certificate
    /// must chain to a certificate of that file (a root or an intermediate CA; the system's trust
    /// store plays no part), through the intermediate CAs the server sends or the file holds;
    /// without one the system decides. The certificate must name the host either way.
    /// </summary>
    internal sealed class ServerCertificateCheck
    {
        private const string SubjectAlternativeNameOid = "2.5.29.17";
        private const string ServerAuthenticationOid = "1.3.6.1.5.5.7.3.1";
        private const string PemBegin = "-----BEGIN CERTIFICATE-----";
        private const string PemEnd = "-----END CERTIFICATE-----";
        private readonly X509Certificate2Collection? _authorities;
        private readonly string? _authorityPath;
        private readonly string _host;
        private volatile string? _rejection;

        private ServerCertificateCheck(X509Certificate2Collection? authorities, string? authorityPath, string host)
        {
            _authorities = authorities;
            _authorityPath = authorityPath;
            _host = host;
        }

        /// <summary>Why the certificate of the last TLS handshake was refused; null when it was taken (or none was made).</summary>
        public string? Rejection => _rejection;

        /// <summary>The check for a connection to <paramref name="host"/> (the name the certificate must hold), trusting the CAs in <paramref name="authorityPath"/> (PEM, one or a bundle; or DER) or, when null, the system.</summary>
        /// <exception cref="MonarchLogsException"><c>InvalidTrustedCertificateAuthority</c>: the file is missing, cannot be read, or holds no certificate.</exception>
        public static ServerCertificateCheck Create(string? authorityPath, string host) =>
            new ServerCertificateCheck(authorityPath is null ? null : Load(authorityPath), authorityPath, host);

        private static X509Certificate2Collection Load(string path)
        {
            if (Directory.Exists(path)) throw Invalid($"The trusted certificate authority file '{path}' is a folder; give the CA's PEM file.");
            if (!File.Exists(path)) throw Invalid($"The trusted certificate authority file '{path}' does not exist.");
            byte[] file;
            try
            {
                file = File.ReadAllBytes(path);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                throw Invalid($"The trusted certificate authority file '{path}' cannot be read: {ex.Message}");
            }

            // An empty file would give an empty certificate, not an error, and fail only at the handshake.
            if (file.Length == 0 || Array.TrueForAll(file, b => b == ' ' || b == '\t' || b == '\r' || b == '\n'))
            {
                throw Invalid($"The trusted certificate authority file '{path}' is empty (expected a certificate in PEM or DER).");
            }

            try
            {
                var certificates = new X509Certificate2Collection();
                foreach (var der in PemBlocks(file)) certificates.Add(new X509Certificate2(der));
                if (certificates.Count == 0) certificates.Add(new X509Certificate2(file));
                return certificates;
            }
            catch (Exception ex) when (ex is CryptographicException || ex is FormatException)
            {
                throw Invalid($"The trusted certificate authority file '{path}' holds no certificate (expected one in PEM or DER).");
            }
        }

        /// <summary>Each certificate of a PEM file, DER-encoded: a CA bundle holds several (an intermediate and its root).</summary>
        private static List<byte[]> PemBlocks(byte[] file)
        {
            var text = System.Text.Encoding.ASCII.GetString(file);
            var blocks = new List<byte[]>();
            var start = text.IndexOf(PemBegin, StringComparison.Ordinal);
            while (start >= 0)
            {
                var end = text.IndexOf(PemEnd, start, StringComparison.Ordinal);
                if (end < 0) break;
                blocks.Add(Convert.FromBase64String(text.Substring(start + PemBegin.Length, end - start - PemBegin.Length)));
                start = text.IndexOf(PemBegin, end, StringComparison.Ordinal);
            }

            return blocks;
        }

        private static MonarchLogsException Invalid(string message) =>
            new MonarchLogsException(StoreConnection.InvalidTrustedCertificateAuthority, MonarchErrorKind.InvalidArgument, message);

        /// <summary>The validation callback of the connection (StackExchange.Redis's CertificateValidation).</summary>
        public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
        {
            string? rejection;
            try
            {
                rejection = Judge(certificate, chain, errors);
            }
            catch (CryptographicException ex)
            {
                // Nothing may escape into the TLS handshake: a certificate that cannot be read is refused.
                rejection = "cannot be read (" + ex.Message + ")";
            }

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

            if (_authorities is null)
            {
                return errors == SslPolicyErrors.None ? null : "is not trusted by this system (" + Describe(chain) + "); give the CA that signed it as TrustedCertificateAuthorityPath";
            }

            using var own = new X509Chain();
            own.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            own.ChainPolicy.VerificationFlags = X509VerificationFlags.AllowUnknownCertificateAuthority;
            // The certificate must be for a server (extended key usage), as the system's own check demands.
            own.ChainPolicy.ApplicationPolicy.Add(new Oid(ServerAuthenticationOid));
            own.ChainPolicy.ExtraStore.AddRange(_authorities);
            // The intermediate CAs the server sent with its certificate.
            if (chain is not null)
            {
                own.ChainPolicy.ExtraStore.AddRange(chain.ChainPolicy.ExtraStore);
                foreach (var element in chain.ChainElements) own.ChainPolicy.ExtraStore.Add(element.Certificate);
            }

            var copy = certificate as X509Certificate2 is null ? new X509Certificate2(certificate) : null;
            try
            {
                own.Build(copy ?? (X509Certificate2)certificate);
                var elements = own.ChainElements.Cast<X509ChainElement>().ToList();
                var anchor = elements.FindIndex(element => _authorities.Cast<X509Certificate2>().Any(trusted => trusted.RawData.SequenceEqual(element.Certificate.RawData)));
                if (anchor < 0)
                {
                    return $"is not signed by the trusted certificate authority '{_authorityPath}'";
                }

                // The chain ends at a CA of the file, which the system need not know (an unknown root, or
                // an intermediate whose root is not given); anything else up to it (expired, a CA that
                // may not sign, a certificate not for servers) is a refusal.
                var problems = elements.Take(anchor + 1).SelectMany(element => element.ChainElementStatus)
                    .Select(status => status.Status)
                    .Where(status => status != X509ChainStatusFlags.NoError && status != X509ChainStatusFlags.UntrustedRoot && status != X509ChainStatusFlags.PartialChain)
                    .Distinct().ToList();
                return problems.Count == 0 ? null : $"does not verify against the trusted certificate authority '{_authorityPath}' ({string.Join(", ", problems)})";
            }
            finally
            {
                // The chain's elements are certificates of their own, which disposing the chain leaves open.
                foreach (var element in own.ChainElements) element.Certificate.Dispose();
                copy?.Dispose();
            }
        }

        /// <summary>The host names and addresses a certificate is for, so that a refusal shows what it would take.</summary>
        private static string NamesOf(X509Certificate certificate)
        {
            using var copy = certificate as X509Certificate2 is null ? new X509Certificate2(certificate) : null;
            var server = copy ?? (X509Certificate2)certificate;
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
