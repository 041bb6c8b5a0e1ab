using System;
using System.Diagnostics;
using System.IO;

namespace MonarchLogs.Testing
{
    /// <summary>
    /// A throwaway certificate authority made by openssl in a test's folder, and server
    /// certificates it signs: the private CA a user would trust with
    /// <c>TrustedCertificateAuthorityPath</c>. Nothing is added to the machine's trust store.
    /// </summary>
    public sealed class TestCertificateAuthority
    {
        private readonly string _keyPath;
        private readonly bool _isIntermediate;

        private TestCertificateAuthority(string certificatePath, string keyPath, bool isIntermediate = false)
        {
            CertificatePath = certificatePath;
            _keyPath = keyPath;
            _isIntermediate = isIntermediate;
        }

        /// <summary>The CA's certificate, PEM.</summary>
        public string CertificatePath { get; }

        /// <summary>Makes a new CA in <paramref name="directory"/>; files are named after <paramref name="name"/>.</summary>
        public static TestCertificateAuthority Create(string directory, string name = "ca")
        {
            var certificate = Path.Combine(directory, name + ".crt");
            var key = Path.Combine(directory, name + ".key");
            OpenSsl(directory, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", key, "-out", certificate, "-days", "2", "-subj", "/CN=MonarchLogs test CA " + name,
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
            return new TestCertificateAuthority(certificate, key);
        }

        /// <summary>
        /// Makes an intermediate CA that this one signs, as a private PKI that keeps its root
        /// offline does. A server certificate it issues is written with the intermediate after it,
        /// the chain a server presents.
        /// </summary>
        public TestCertificateAuthority IssueIntermediate(string directory, string name = "intermediate-ca")
        {
            var certificate = Path.Combine(directory, name + ".crt");
            var key = Path.Combine(directory, name + ".key");
            var request = Path.Combine(directory, name + ".csr");
            var extensions = Path.Combine(directory, name + ".ext");
            File.WriteAllText(extensions, "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n");
            OpenSsl(directory, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", key, "-out", request, "-subj", "/CN=MonarchLogs test CA " + name);
            OpenSsl(directory, "x509", "-req", "-in", request, "-CA", CertificatePath, "-CAkey", _keyPath, "-CAcreateserial",
                "-out", certificate, "-days", "2", "-extfile", extensions);
            return new TestCertificateAuthority(certificate, key, isIntermediate: true);
        }

        /// <summary>
        /// Signs a server certificate for <c>localhost</c> and <c>127.0.0.1</c> (CN and SAN);
        /// returns the paths of the certificate and its key, PEM.
        /// </summary>
        public (string Certificate, string Key) IssueServerCertificate(string directory, string name = "server")
        {
            var certificate = Path.Combine(directory, name + ".crt");
            var key = Path.Combine(directory, name + ".key");
            var request = Path.Combine(directory, name + ".csr");
            var extensions = Path.Combine(directory, name + ".ext");

            // Server and client use: a replica presents the same certificate to its master.
            File.WriteAllText(extensions,
                "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n" +
                "extendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n");
            OpenSsl(directory, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", key, "-out", request, "-subj", "/CN=localhost");
            OpenSsl(directory, "x509", "-req", "-in", request, "-CA", CertificatePath, "-CAkey", _keyPath, "-CAcreateserial",
                "-out", certificate, "-days", "2", "-extfile", extensions);
            if (_isIntermediate) File.AppendAllText(certificate, File.ReadAllText(CertificatePath));
            return (certificate, key);
        }

        private static void OpenSsl(string directory, params string[] arguments)
        {
            var start = new ProcessStartInfo("openssl")
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = directory,
            };
            foreach (var argument in arguments) start.ArgumentList.Add(argument);
            using var process = Process.Start(start) ?? throw new IOException("openssl did not start.");
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"openssl {arguments[0]} failed ({process.ExitCode}): {error}{output.Result}");
            }
        }
    }
}
