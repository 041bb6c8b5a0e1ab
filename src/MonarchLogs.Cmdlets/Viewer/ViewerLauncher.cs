using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace MonarchLogs.Cmdlets.Viewer
{
    /// <summary>What a viewer is started with. The password goes only into the child's environment.</summary>
    internal sealed class ViewerLaunch
    {
        public string DotnetPath { get; init; } = string.Empty;

        public string ViewerPath { get; init; } = string.Empty;

        public int Port { get; init; }

        public string ConnectionString { get; init; } = string.Empty;

        public string? User { get; init; }

        public string? Password { get; init; }

        public string Prefix { get; init; } = string.Empty;

        /// <summary>The trusted CA's PEM file, a full path; null to let the system decide.</summary>
        public string? TrustedCertificateAuthorityPath { get; init; }
    }

    /// <summary>
    /// Starts the web viewer that the module ships in its viewer/ folder as a child process
    /// (`dotnet MonarchLogs.Viewer.dll`), so that ASP.NET Core never loads into PowerShell, and
    /// waits until it answers.
    /// </summary>
    internal static class ViewerLauncher
    {
        /// <summary>
        /// Settings the child would otherwise inherit from this process's environment: another
        /// store, other credentials, or other addresses to listen on (which the viewer refuses
        /// without auth). The cmdlet decides them all.
        /// </summary>
        private static readonly string[] InheritedSettingPrefixes = { "Valkey__", "Viewer__", "Kestrel__" };
        private static readonly string[] InheritedHostSettings = { "URLS", "HTTP_PORTS", "HTTPS_PORTS" };

        public static string ViewerPath =>
            Path.Combine(Path.GetDirectoryName(typeof(ViewerLauncher).Assembly.Location) ?? string.Empty, "viewer", "MonarchLogs.Viewer.dll");

        /// <summary>
        /// The dotnet host: this process when it is one (pwsh run as `dotnet pwsh`), else
        /// DOTNET_HOST_PATH (set by the SDK for the tools it runs), else dotnet in DOTNET_ROOT or on the PATH.
        /// </summary>
        public static string? FindDotnet()
        {
            var self = Environment.ProcessPath;
            if (self is not null && IsDotnet(self)) return self;
            var hostPath = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
            if (!string.IsNullOrEmpty(hostPath) && File.Exists(hostPath)) return hostPath;
            var fileName = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";
            var folders = new[] { Environment.GetEnvironmentVariable("DOTNET_ROOT") }
                .Concat((Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator));
            return folders
                .Where(folder => !string.IsNullOrWhiteSpace(folder))
                .Select(folder => Path.Combine(folder!.Trim(), fileName))
                .FirstOrDefault(File.Exists);
        }

        private static bool IsDotnet(string path) =>
            string.Equals(Path.GetFileNameWithoutExtension(path), "dotnet", StringComparison.OrdinalIgnoreCase);

        /// <summary>Whether the loopback port can be listened on now.</summary>
        public static bool IsPortFree(int port)
        {
            var listener = new TcpListener(IPAddress.Loopback, port);
            try
            {
                listener.Start();
                return true;
            }
            catch (SocketException)
            {
                return false;
            }
            finally
            {
                listener.Stop();
            }
        }

        public static ViewerProcess Start(ViewerLaunch launch)
        {
            var start = new ProcessStartInfo(launch.DotnetPath)
            {
                UseShellExecute = false,
                CreateNoWindow = true,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                // The viewer reads appsettings.json from its content root, the working directory: its own folder.
                WorkingDirectory = Path.GetDirectoryName(launch.ViewerPath) ?? string.Empty,
            };
            start.ArgumentList.Add(launch.ViewerPath);
            start.ArgumentList.Add("--urls");
            start.ArgumentList.Add($"http://127.0.0.1:{launch.Port}");

            var environment = start.Environment;
            foreach (var name in environment.Keys.Where(IsInheritedSetting).ToList()) environment.Remove(name);
            environment["Viewer__Background"] = "true";
            environment["Valkey__ConnectionString"] = launch.ConnectionString;
            environment["Valkey__Prefix"] = launch.Prefix;
            if (!string.IsNullOrEmpty(launch.User)) environment["Valkey__User"] = launch.User;
            if (!string.IsNullOrEmpty(launch.Password)) environment["Valkey__Password"] = launch.Password;
            if (!string.IsNullOrEmpty(launch.TrustedCertificateAuthorityPath)) environment["Valkey__TrustedCertificateAuthorityPath"] = launch.TrustedCertificateAuthorityPath;

            Process? process;
            try
            {
                process = Process.Start(start);
            }
            catch (System.ComponentModel.Win32Exception ex)
            {
                throw new ViewerStartException("DotnetNotFound", ErrorCategory.ObjectNotFound,
                    $"Could not run the dotnet host '{launch.DotnetPath}': {ex.Message}");
            }

            if (process is null)
            {
                throw new ViewerStartException("DotnetNotFound", ErrorCategory.ObjectNotFound, $"Could not run the dotnet host '{launch.DotnetPath}'.");
            }

            return new ViewerProcess(process, launch.Port);
        }

        private static bool IsInheritedSetting(string name) =>
            InheritedSettingPrefixes.Any(prefix => name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            || InheritedHostSettings.Any(setting => name.Equals(setting, StringComparison.OrdinalIgnoreCase)
                || name.Equals("ASPNETCORE_" + setting, StringComparison.OrdinalIgnoreCase)
                || name.Equals("DOTNET_" + setting, StringComparison.OrdinalIgnoreCase));

        /// <summary>
        /// Waits until the viewer serves its page. An exit meanwhile is ViewerExited (or
        /// ViewerPortInUse when it could not bind); no answer in time is ViewerStartTimeout.
        /// </summary>
        public static async Task WaitUntilAnsweringAsync(ViewerProcess viewer, TimeSpan timeout, string? secret, CancellationToken cancellationToken)
        {
            using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
            var clock = Stopwatch.StartNew();
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (viewer.HasExited) throw ExitedEarly(viewer, secret);
                if (clock.Elapsed > timeout)
                {
                    throw new ViewerStartException("ViewerStartTimeout", ErrorCategory.OperationTimeout,
                        $"The viewer did not answer at {viewer.Url} within {timeout.TotalSeconds:0.#} s, so it was stopped.");
                }

                using (var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                {
                    attempt.CancelAfter(TimeSpan.FromSeconds(2));
                    try
                    {
                        using var response = await http.GetAsync(viewer.Url, attempt.Token).ConfigureAwait(false);
                        if (response.StatusCode == HttpStatusCode.OK && !viewer.HasExited) return;
                    }
                    catch (HttpRequestException)
                    {
                        // Not listening yet.
                    }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                        // This attempt took too long; try again.
                    }
                }

                await Task.Delay(100, cancellationToken).ConfigureAwait(false);
            }
        }

        private static ViewerStartException ExitedEarly(ViewerProcess viewer, string? secret)
        {
            var (exitCode, line) = viewer.ExitReport();
            line ??= "it wrote no error message.";
            if (!string.IsNullOrEmpty(secret)) line = line.Replace(secret, "*****", StringComparison.Ordinal);
            if (exitCode == 1 && line.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                return new ViewerStartException("ViewerPortInUse", ErrorCategory.ResourceUnavailable,
                    $"Port {viewer.Port} on 127.0.0.1 is already in use: {line} Give another -Port.");
            }

            // Exit code 2 is the viewer refusing its settings; anything else is a failure to run.
            return new ViewerStartException("ViewerExited", exitCode == 2 ? ErrorCategory.InvalidArgument : ErrorCategory.OpenError,
                $"The viewer exited while starting (exit code {exitCode}): {line}");
        }
    }
}
