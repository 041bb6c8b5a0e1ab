using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Management.Automation;
using System.Threading.Tasks;
using MonarchLogs.Cmdlets.Arguments;
using MonarchLogs.Cmdlets.Display;
using MonarchLogs.Cmdlets.Infrastructure;
using MonarchLogs.Core;
using MonarchLogs.Core.Archive;
using MonarchLogs.Core.Format;

namespace MonarchLogs.Cmdlets
{
    /// <summary>
    /// Reads archive files (Export-MonarchLog, the retention archive) and JSON console logs into
    /// the store of the connection parameters, file by file. The store engine imports on a task;
    /// this command waits on the pipeline thread, writing progress and the errors the import
    /// queued (a bad line, a refused partition) as it goes. One summary per file.
    /// </summary>
    [Cmdlet(VerbsData.Import, "MonarchLog", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low, DefaultParameterSetName = PathSet)]
    [OutputType(typeof(ImportSummary))]
    public sealed class ImportMonarchLogCommand : MonarchCommandBase
    {
        private const string PathSet = "Path";
        private const string LiteralPathSet = "LiteralPath";
        private const int ProgressId = 2;
        private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(250);

        private readonly ConcurrentQueue<ImportProblem> _problems = new ConcurrentQueue<ImportProblem>();

        /// <summary>Files to import; wildcards allowed.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = PathSet)]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        public string[] Path { get; set; } = null!;

        /// <summary>Files to import, taken as written (no wildcards).</summary>
        [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = LiteralPathSet)]
        [Alias("PSPath", "LP")]
        [ValidateNotNullOrEmpty]
        public string[] LiteralPath { get; set; } = null!;

        /// <summary>The service of the lines that name none (console log lines).</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(ServiceCompleter))]
        public string Service { get; set; } = null!;

        /// <summary>As the provider's ServicePropertyName: a scope property of this name names a console line's service.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string ServicePropertyName { get; set; } = null!;

        /// <summary>The event time of console lines written without a Timestamp.</summary>
        [Parameter]
        [TimeTransformation]
        public DateTime DefaultTimestamp { get; set; }

        protected override void BeginProcessing()
        {
            base.BeginProcessing();
            if (Service is not null && !StorageFormat.IsValidServiceName(Service))
            {
                ThrowParameterError("InvalidService",
                    $"-Service '{DisplayText.Quote(Service)}' is not a service name: 1 to {StorageFormat.MaxServiceNameLength} characters without control characters.", Service);
            }
        }

        protected override void ProcessRecord()
        {
            foreach (var path in ResolvePaths())
            {
                if (!ShouldProcess(path, "Import log entries")) continue;
                ImportFile(path);
            }
        }

        private IEnumerable<string> ResolvePaths()
        {
            var paths = new List<string>();
            if (ParameterSetName == LiteralPathSet)
            {
                foreach (var literal in LiteralPath) paths.Add(SessionState.Path.GetUnresolvedProviderPathFromPSPath(literal));
                return paths;
            }

            foreach (var pattern in Path)
            {
                try
                {
                    paths.AddRange(GetResolvedProviderPathFromPSPath(pattern, out _));
                }
                catch (ItemNotFoundException ex)
                {
                    WriteError(new ErrorRecord(ex, "ImportFileNotFound", ErrorCategory.ObjectNotFound, pattern));
                }
            }

            return paths;
        }

        private void ImportFile(string path)
        {
            Stream stream;
            try
            {
                stream = ArchiveFormat.OpenRead(path);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException || ex is NotSupportedException || ex is ArgumentException)
            {
                WriteError(new ErrorRecord(new IOException($"Cannot read '{path}': {ex.Message}", ex),
                    ex is FileNotFoundException || ex is DirectoryNotFoundException ? "ImportFileNotFound" : "ImportFileNotReadable", ErrorCategory.ReadError, path));
                return;
            }

            // Damaged gzip data can decompress to plausible lines before the damage shows: the whole
            // file is checked on a thread of its own while the import reads it, the import writes
            // nothing before the check passes, and a damaged file imports nothing.
            var check = Task.Run(() => FindDamage(path));
            var store = OpenStore();
            var defaults = new ImportDefaults
            {
                Service = Service,
                ServicePropertyName = ServicePropertyName,
                Timestamp = MyInvocation.BoundParameters.ContainsKey(nameof(DefaultTimestamp)) ? DefaultTimestamp : null,
            };
            var counts = new ImportProgress();
            var status = "Starting";
            var length = TryLength(path);
            ImportResult result;
            try
            {
                using (stream)
                {
                    var import = store.ImportAsync(stream, path, defaults, counts, _problems.Enqueue, StopToken, damage: check);
                    WaitWithTicks(import, ProgressInterval, () =>
                    {
                        // Until the check passes, what was read may come from damaged data: its problems wait.
                        if (check.Status == TaskStatus.RanToCompletion && check.Result is null) WriteProblems();
                        status = $"{System.IO.Path.GetFileName(path)}: {counts.Read.ToString("N0", CultureInfo.InvariantCulture)} entries read, "
                            + $"{counts.Imported.ToString("N0", CultureInfo.InvariantCulture)} imported, {counts.Skipped.ToString("N0", CultureInfo.InvariantCulture)} already there, "
                            + $"{counts.Failed.ToString("N0", CultureInfo.InvariantCulture)} failed ({Sizes.Bytes(counts.BytesRead)} read)";
                        var percent = length > 0 && !ArchiveFormat.IsCompressedName(path) ? (int)Math.Min(100, 100 * counts.BytesRead / length) : -1;
                        WriteProgress(new ProgressRecord(ProgressId, "Import-MonarchLog", status) { PercentComplete = percent });
                    });
                    if (import.Exception?.InnerException is MonarchLogsException { ErrorId: ArchiveFormat.DamagedFileErrorId } damaged)
                    {
                        // The lines read from damaged data are no lines of the file: their problems are not told.
                        while (_problems.TryDequeue(out _))
                        {
                        }

                        WriteError(new ErrorRecord(new InvalidDataException($"'{path}' is damaged, so none of it was imported: {damaged.Message}", damaged), ArchiveFormat.DamagedFileErrorId, ErrorCategory.InvalidData, path));
                        return;
                    }

                    if (import.Exception?.InnerException is MonarchLogsException { ErrorId: "UnsupportedArchive" } unsupported)
                    {
                        // Another file may well be readable: this one is an error, not the end.
                        WriteError(ToErrorRecord(new MonarchLogsException(unsupported.ErrorId, unsupported.Kind, $"'{path}': {unsupported.Message} Nothing of it was imported."), path));
                        return;
                    }

                    result = Await(import, path);
                }
            }
            catch (Exception ex) when (ex is InvalidDataException || ex is IOException)
            {
                // A damaged gzip stream, a read error: what came before it is imported.
                WriteProblems();
                WriteError(new ErrorRecord(new IOException($"Reading '{path}' failed after {counts.Read} entries: {ex.Message}", ex),
                    ArchiveFormat.DamagedFileErrorId, ErrorCategory.InvalidData, path));
                return;
            }
            catch (PipelineStoppedException)
            {
                WriteWarningWhileStopping($"The import of '{path}' stopped after {counts.Read} entries: {counts.Imported} imported, {counts.Skipped} already there, {counts.Failed} failed. Run it again to import the rest; entries already imported are skipped.");
                throw;
            }

            WriteProgress(new ProgressRecord(ProgressId, "Import-MonarchLog", status) { RecordType = ProgressRecordType.Completed });
            WriteProblems();
            if (result.Displaced > 0)
            {
                WriteWarning($"{result.Displaced} entries of '{path}' went in at the time of this import, not at their event time, because their partition already held later entries: "
                    + "they keep their Timestamp and time ranges (-Since, -Until) find them at it, but a query of a time range that holds this moment reads their blocks too, until retention removes them.");
            }

            WriteObject(new ImportSummary
            {
                Path = path,
                Read = result.Read,
                Imported = result.Imported,
                Skipped = result.Skipped,
                Failed = result.Failed,
                Displaced = result.Displaced,
                From = result.From,
                To = result.To,
            });
        }

        /// <summary>What is wrong with the file's compressed data, or null when nothing is.</summary>
        private string? FindDamage(string path)
        {
            try
            {
                return ArchiveFormat.FindCompressionDamage(path, StopToken);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                return ex.Message;
            }
        }

        private void WriteProblems()
        {
            while (_problems.TryDequeue(out var problem))
            {
                WriteError(ToErrorRecord(problem.Error, problem.Target));
            }
        }

        private static long TryLength(string path)
        {
            try
            {
                return new FileInfo(path).Length;
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                return 0;
            }
        }
    }
}
