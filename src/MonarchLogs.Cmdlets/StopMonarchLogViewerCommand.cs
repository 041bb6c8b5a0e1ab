using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Linq;
using System.Management.Automation;
using MonarchLogs.Cmdlets.Viewer;

namespace MonarchLogs.Cmdlets
{
    /// <summary>
    /// Stops viewers that Start-MonarchLogViewer started in this session: by port, by process id,
    /// the info objects from the pipeline, or all of them. Each viewer is asked to shut down (its
    /// input is closed) and killed if it has not within a few seconds.
    /// </summary>
    [Cmdlet(VerbsLifecycle.Stop, "MonarchLogViewer", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium,
        DefaultParameterSetName = PortSet)]
    [OutputType(typeof(MonarchLogViewerInfo))]
    public sealed class StopMonarchLogViewerCommand : PSCmdlet
    {
        private const string PortSet = "Port";
        private const string ProcessIdSet = "ProcessId";
        private const string InputObjectSet = "InputObject";
        private const string AllSet = "All";
        private static readonly TimeSpan Grace = TimeSpan.FromSeconds(5);

        [Parameter(ParameterSetName = PortSet, Mandatory = true, Position = 0)]
        [ValidateRange(1, 65535)]
        public int[] Port { get; set; } = null!;

        [Parameter(ParameterSetName = ProcessIdSet, Mandatory = true)]
        [ValidateNotNullOrEmpty]
        public int[] ProcessId { get; set; } = null!;

        /// <summary>Viewers as Start-MonarchLogViewer wrote them.</summary>
        [Parameter(ParameterSetName = InputObjectSet, Mandatory = true, ValueFromPipeline = true)]
        [ValidateNotNullOrEmpty]
        public MonarchLogViewerInfo[] InputObject { get; set; } = null!;

        [Parameter(ParameterSetName = AllSet, Mandatory = true)]
        public SwitchParameter All { get; set; }

        /// <summary>Write the info of each viewer stopped.</summary>
        [Parameter]
        public SwitchParameter PassThru { get; set; }

        protected override void ProcessRecord()
        {
            var running = SessionViewers.Current();
            switch (ParameterSetName)
            {
                case PortSet:
                    foreach (var port in Port) StopMatching(running, v => v.Info.Port == port, port, $"on port {port}");
                    break;
                case ProcessIdSet:
                    foreach (var id in ProcessId) StopMatching(running, v => v.Info.ProcessId == id, id, $"with process id {id}");
                    break;
                case InputObjectSet:
                    foreach (var info in InputObject)
                    {
                        StopMatching(running, v => v.Info.ProcessId == info.ProcessId && v.Info.Port == info.Port, info, $"at {info.Url} (process {info.ProcessId})");
                    }

                    break;
                default:
                    foreach (var viewer in running) Stop(viewer);
                    break;
            }
        }

        private void StopMatching(IReadOnlyList<(ViewerProcess Process, MonarchLogViewerInfo Info)> running,
            Func<(ViewerProcess Process, MonarchLogViewerInfo Info), bool> match, object target, string description)
        {
            var found = running.Where(match).ToList();
            if (found.Count == 0)
            {
                WriteError(new ErrorRecord(new ArgumentException($"No viewer {description} was started in this session (or it was stopped already)."),
                    "ViewerNotFound", ErrorCategory.ObjectNotFound, target));
                return;
            }

            foreach (var viewer in found) Stop(viewer);
        }

        private void Stop((ViewerProcess Process, MonarchLogViewerInfo Info) viewer)
        {
            if (!ShouldProcess($"MonarchLogs viewer at {viewer.Info.Url} (process {viewer.Info.ProcessId})", "Stop")) return;
            try
            {
                if (viewer.Process.HasExited) WriteVerbose($"The viewer at {viewer.Info.Url} had exited already.");
                viewer.Process.Stop(Grace);
            }
            catch (Exception ex) when (ex is Win32Exception || ex is InvalidOperationException || ex is NotSupportedException)
            {
                WriteError(new ErrorRecord(ex, "ViewerStopFailed", ErrorCategory.CloseError, viewer.Info));
                return;
            }

            SessionViewers.Remove(viewer.Process);
            if (PassThru) WriteObject(viewer.Info);
        }
    }
}
