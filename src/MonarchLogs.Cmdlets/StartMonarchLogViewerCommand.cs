using System;
using System.IO;
using System.Management.Automation;
using System.Threading.Tasks;
using MonarchLogs.Cmdlets.Infrastructure;
using MonarchLogs.Cmdlets.Viewer;

namespace MonarchLogs.Cmdlets
{
    /// <summary>
    /// Starts the web viewer as a background process on 127.0.0.1, reading the store this session
    /// would read, and writes where it listens once it answers. The viewer runs on ASP.NET Core
    /// in its own process (`dotnet viewer/MonarchLogs.Viewer.dll`); the connection, the password and
    /// the trusted CA reach it through its environment, never its command line.
    /// </summary>
    [Cmdlet(VerbsLifecycle.Start, "MonarchLogViewer")]
    [OutputType(typeof(MonarchLogViewerInfo))]
    public sealed class StartMonarchLogViewerCommand : MonarchCommandBase
    {
        /// <summary>The loopback port to listen on.</summary>
        [Parameter(Position = 0)]
        [ValidateRange(1, 65535)]
        public int Port { get; set; } = 8081;

        /// <summary>How long to wait for the viewer to answer before giving up.</summary>
        [Parameter]
        [ValidateRange(1, 600)]
        public int TimeoutSeconds { get; set; } = 30;

        protected override void ProcessRecord()
        {
            var target = ResolveTarget();

            var viewerPath = ViewerLauncher.ViewerPath;
            if (!File.Exists(viewerPath))
            {
                ThrowTerminatingError(new ErrorRecord(new FileNotFoundException($"The viewer is not in the module folder ({viewerPath}); lay out the module with build/Build-Module.ps1.", viewerPath),
                    "ViewerNotInstalled", ErrorCategory.ObjectNotFound, viewerPath));
            }

            var dotnet = ViewerLauncher.FindDotnet();
            if (dotnet is null)
            {
                ThrowTerminatingError(new ErrorRecord(new FileNotFoundException("The viewer needs the dotnet host with the ASP.NET Core runtime, and none was found (DOTNET_HOST_PATH, DOTNET_ROOT, PATH)."),
                    "DotnetNotFound", ErrorCategory.ObjectNotFound, "dotnet"));
            }

            if (!ViewerLauncher.IsPortFree(Port))
            {
                ThrowTerminatingError(new ErrorRecord(new IOException($"Port {Port} on 127.0.0.1 is already in use. Give another -Port."),
                    "ViewerPortInUse", ErrorCategory.ResourceUnavailable, Port));
            }

            // The same check as Connect-MonarchLog, so that an unreachable server or a refused
            // password is the module's usual error now, not a viewer that answers 503 later.
            var store = OpenStore(target);
            Await(store.GetServicesAsync(StopToken), target.DisplayName);

            var network = target.Credential?.GetNetworkCredential();
            WriteVerbose($"Starting the viewer on http://127.0.0.1:{Port}/ with {dotnet}, reading {target.DisplayName}, prefix '{target.Prefix}'.");
            var viewer = Launch(new ViewerLaunch
            {
                DotnetPath = dotnet!,
                ViewerPath = viewerPath,
                Port = Port,
                ConnectionString = target.ConnectionString,
                User = network?.UserName,
                Password = network?.Password,
                Prefix = target.Prefix,
                TrustedCertificateAuthorityPath = target.TrustedCertificateAuthorityPath,
            });

            try
            {
                WaitFor(ViewerLauncher.WaitUntilAnsweringAsync(viewer, TimeSpan.FromSeconds(TimeoutSeconds), network?.Password, StopToken));
            }
            catch
            {
                viewer.Kill();
                throw;
            }

            var info = new MonarchLogViewerInfo
            {
                Url = viewer.Url.ToString(),
                Port = Port,
                ProcessId = viewer.Id,
                Server = target.DisplayName,
                User = target.Credential?.UserName ?? string.Empty,
                Prefix = target.Prefix,
                StartTime = viewer.StartTime,
            };
            SessionViewers.Add(viewer, info);

            WriteObject(info);
        }

        private ViewerProcess Launch(ViewerLaunch launch)
        {
            try
            {
                return ViewerLauncher.Start(launch);
            }
            catch (ViewerStartException ex)
            {
                ThrowTerminatingError(new ErrorRecord(ex, ex.ErrorId, ex.Category, launch.DotnetPath));
                throw; // not reached: ThrowTerminatingError always throws
            }
        }

        /// <summary>Waits on the pipeline thread; Ctrl+C ends the wait, a failed start is a terminating error.</summary>
        private void WaitFor(Task task)
        {
            try
            {
                task.GetAwaiter().GetResult();
            }
            catch (OperationCanceledException) when (StopToken.IsCancellationRequested)
            {
                throw new PipelineStoppedException();
            }
            catch (ViewerStartException ex)
            {
                ThrowTerminatingError(new ErrorRecord(ex, ex.ErrorId, ex.Category, Port));
                throw;
            }
        }
    }
}
