using System;
using System.Globalization;
using System.IO;
using System.Management.Automation;
using MonarchLogs.Cmdlets.Arguments;
using MonarchLogs.Cmdlets.Display;
using MonarchLogs.Cmdlets.Infrastructure;
using MonarchLogs.Core;
using MonarchLogs.Core.Archive;

namespace MonarchLogs.Cmdlets
{
    /// <summary>
    /// Writes the entries a Get-MonarchLog filter selects to a JSON Lines archive file (gzip when
    /// the name ends in .gz), oldest first, with a header line. The store engine reads and writes
    /// on a task; this command waits for it on the pipeline thread, writing progress every
    /// <see cref="ProgressInterval"/>. Ctrl+C ends the file at a whole line and says what it holds.
    /// </summary>
    [Cmdlet(VerbsData.Export, "MonarchLog", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
    [OutputType(typeof(ExportSummary))]
    public sealed class ExportMonarchLogCommand : MonarchFilterCommandBase
    {
        private const int ProgressId = 1;
        private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(250);

        /// <summary>The file to write; .gz compresses it.</summary>
        [Parameter(Mandatory = true, Position = 0)]
        [ValidateNotNullOrEmpty]
        public string Path { get; set; } = null!;

        /// <summary>Entries at or after this time (inclusive).</summary>
        [Parameter]
        [TimeTransformation]
        public DateTime Since { get; set; }

        /// <summary>Entries before this time (exclusive).</summary>
        [Parameter]
        [TimeTransformation]
        public DateTime Until { get; set; }

        /// <summary>Only entries after this entry Id, in store order.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string After { get; set; } = null!;

        /// <summary>Only entries before this entry Id, in store order.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string Before { get; set; } = null!;

        /// <summary>Overwrite an existing file.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        protected override void ProcessRecord()
        {
            var bound = MyInvocation.BoundParameters;
            var query = BuildQuery(
                since: bound.ContainsKey(nameof(Since)) ? Since : null,
                until: bound.ContainsKey(nameof(Until)) ? Until : null,
                after: After,
                before: Before,
                oldestFirst: true);
            ValidateQuery(query, After, Before);

            var path = SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path);
            if (!Force && (File.Exists(path) || Directory.Exists(path)))
            {
                ThrowTerminatingError(new ErrorRecord(new IOException($"'{path}' exists. Give -Force to overwrite it, or another -Path."),
                    "ExportFileExists", ErrorCategory.ResourceExists, path));
            }

            if (!ShouldProcess(path, "Export log entries")) return;
            var store = OpenStore();
            ArchiveWriter writer;
            try
            {
                writer = ArchiveWriter.Create(path, overwrite: Force);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException || ex is NotSupportedException || ex is ArgumentException)
            {
                ThrowTerminatingError(new ErrorRecord(new IOException($"Cannot create '{path}': {ex.Message}", ex),
                    ex is IOException && File.Exists(path) ? "ExportFileExists" : "ExportFileNotWritable", ErrorCategory.WriteError, path));
                return;
            }

            ExportResult result;
            var status = "Starting";
            try
            {
                result = AwaitWithTicks(store.ExportAsync(query, writer, PartitionErrors, StopToken), ProgressInterval, () =>
                {
                    WritePartitionErrors();
                    status = $"{writer.Entries.ToString("N0", CultureInfo.InvariantCulture)} entries, {Sizes.Bytes(writer.Bytes)} written to {System.IO.Path.GetFileName(path)}";
                    WriteProgress(new ProgressRecord(ProgressId, "Export-MonarchLog", status) { PercentComplete = -1 });
                }, path);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                CloseQuietly(writer);
                WarnWhatTheFileHolds(path, writer, "failed");
                ThrowTerminatingError(new ErrorRecord(new IOException($"Writing '{path}' failed: {ex.Message}", ex), "ExportFileNotWritable", ErrorCategory.WriteError, path));
                return;
            }
            catch
            {
                // Stopped (Ctrl+C) or a store failure: the file ends at the last whole entry.
                CloseQuietly(writer);
                WarnWhatTheFileHolds(path, writer, "stopped");
                throw;
            }

            writer.Dispose();
            WriteProgress(new ProgressRecord(ProgressId, "Export-MonarchLog", status) { RecordType = ProgressRecordType.Completed });
            WritePartitionErrors();
            WriteObject(new ExportSummary
            {
                Path = path,
                Entries = result.Entries,
                Bytes = new FileInfo(path).Length,
                From = result.From,
                To = result.To,
                LastId = result.LastId,
            });
        }

        private void WarnWhatTheFileHolds(string path, ArchiveWriter writer, string how)
        {
            var until = writer.Last is { } last ? ", up to " + ArchiveFormat.FormatTime(last) : string.Empty;
            WriteWarningWhileStopping($"The export {how}: '{path}' holds the first {writer.Entries} entries{until} and ends at a whole line.");
        }

        private static void CloseQuietly(ArchiveWriter writer)
        {
            try
            {
                writer.Dispose();
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException || ex is ObjectDisposedException)
            {
            }
        }
    }
}
