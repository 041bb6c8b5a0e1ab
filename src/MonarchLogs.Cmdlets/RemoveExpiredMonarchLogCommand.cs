using System;
using System.Collections.Generic;
using System.IO;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using MonarchLogs.Cmdlets.Arguments;
using MonarchLogs.Cmdlets.Display;
using MonarchLogs.Cmdlets.Infrastructure;
using MonarchLogs.Core;
using MonarchLogs.Core.Query;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Storage;

namespace MonarchLogs.Cmdlets
{
    /// <summary>
    /// Removes the entries older than a cutoff, partition by partition, in bounded steps on the
    /// server. Made for unattended scheduled scripts: ConfirmImpact Medium prompts only when asked
    /// (-Confirm), a second run removes nothing more, and writers may run meanwhile. With
    /// -ArchivePath the store engine archives each partition's expired entries first, one checked
    /// file per day, and removes exactly what it archived.
    /// </summary>
    [Cmdlet(VerbsCommon.Remove, "ExpiredMonarchLog", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium,
        DefaultParameterSetName = RetentionDaysSet)]
    [OutputType(typeof(RetentionSummary))]
    public sealed class RemoveExpiredMonarchLogCommand : MonarchCommandBase
    {
        private const string RetentionDaysSet = "RetentionDays";
        private const string BeforeSet = "Before";

        /// <summary>Keep this many days of entries; older ones go.</summary>
        [Parameter(ParameterSetName = RetentionDaysSet, Position = 0)]
        [ValidateRange(1, 36500)]
        public int RetentionDays { get; set; } = 30;

        /// <summary>Remove the entries older than this time.</summary>
        [Parameter(ParameterSetName = BeforeSet, Mandatory = true)]
        [TimeTransformation]
        public DateTime Before { get; set; }

        /// <summary>Only the partitions of these services (wildcards allowed).</summary>
        [Parameter]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(ServiceCompleter))]
        public string[] Service { get; set; } = null!;

        /// <summary>Only the partitions of these levels: a shorter retention for Trace and Debug, say.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        [ValidateLogLevel]
        [ArgumentCompleter(typeof(LogLevelCompleter))]
        public string[] Level { get; set; } = null!;

        /// <summary>Archive what is about to go into this folder first: one gzip JSON Lines file per day and partition.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string ArchivePath { get; set; } = null!;

        protected override void ProcessRecord()
        {
            var now = DateTime.UtcNow;
            var cutoff = ParameterSetName == BeforeSet ? Before : now.AddDays(-RetentionDays);
            if (cutoff > now)
            {
                ThrowParameterError("CutoffInFuture",
                    $"-Before {FormatTime(cutoff)} is in the future; that would remove entries being written now. Give a past time.", Before);
            }

            var whatIf = IsWhatIf();
            var archiveFolder = ArchivePath is null ? null : PrepareArchiveFolder(whatIf);
            var store = OpenStore();
            var services = Service?.Select(s => new Wildcard(s)).ToArray();
            var levels = Level?.Select(LogLevels.Parse).ToHashSet();
            var partitions = Await(store.GetPartitionsAsync(PartitionErrors, StopToken))
                .Where(p => services is null || services.Any(s => s.IsMatch(p.Service)))
                .Where(p => levels is null || levels.Contains(p.Level))
                .ToList();
            WritePartitionErrors();
            WriteVerbose($"Removing entries older than {FormatTime(cutoff)} from {partitions.Count} partitions.");

            int touched = 0;
            long entries = 0, bytes = 0, archived = 0;
            var files = new List<string>();
            DateTime? oldest = null, newest = null;
            foreach (var partition in partitions)
            {
                // The service name is the writers' text: escaped wherever it is shown (-WhatIf, -Confirm, -Verbose).
                var shownName = TerminalText.Escape(partition.ToString());
                if (whatIf)
                {
                    if (!TryAwait(store.PreviewExpiredAsync(partition, cutoff, StopToken), partition.ToString(), out var preview)) continue;
                    if (preview.ExpiredEntries == 0) continue;
                    touched++;
                    entries += preview.ExpiredEntries;
                    bytes += preview.EstimatedBytes;
                    if (preview.Oldest is { } first && (oldest is null || first < oldest)) oldest = first;
                    if (preview.Newest is { } last && (newest is null || last > newest)) newest = last;
                    var archiveFirst = archiveFolder is null ? string.Empty : $"Archive to '{TerminalText.Escape(archiveFolder)}' and then remove";
                    ShouldProcess(shownName,
                        $"{(archiveFolder is null ? "Remove" : archiveFirst)} {preview.ExpiredEntries} of {preview.TotalEntries} entries, written {FormatTime(preview.Oldest)} to {FormatTime(preview.Newest)}, about {FormatBytes(preview.EstimatedBytes)}");
                    continue;
                }

                if (archiveFolder is not null)
                {
                    if (!ShouldProcess(shownName, $"Archive the entries older than {FormatTime(cutoff)} to '{TerminalText.Escape(archiveFolder)}', then remove them")) continue;
                    if (!TryAwait(store.ArchiveExpiredAsync(partition, cutoff, archiveFolder, StopToken), partition.ToString(), out var done)) continue;
                    foreach (var file in done.Files)
                    {
                        files.Add(file.Path);
                        WriteVerbose($"{shownName}: archived {file.Entries} entries of {file.Day:yyyy-MM-dd} to '{TerminalText.Escape(file.Path)}' ({FormatBytes(file.Bytes)}), checked.");
                    }

                    if (done.Failure is { } failure) WriteError(ToErrorRecord(failure, partition.ToString()));
                    if (done.RemovedEntries > 0) touched++;
                    archived += done.ArchivedEntries;
                    entries += done.RemovedEntries;
                    bytes += done.BytesReclaimed;
                    WriteVerbose($"{shownName}: removed the {done.RemovedEntries} entries archived, in {done.TrimCommands} commands, reclaimed {FormatBytes(done.BytesReclaimed)}.");
                    continue;
                }

                if (!ShouldProcess(shownName, $"Remove the entries older than {FormatTime(cutoff)}")) continue;
                if (!TryAwait(store.RemoveExpiredAsync(partition, cutoff, StopToken), partition.ToString(), out var result)) continue;
                if (result.RemovedEntries > 0) touched++;
                entries += result.RemovedEntries;
                bytes += result.BytesReclaimed;
                WriteVerbose($"{shownName}: removed {result.RemovedEntries} entries in {result.TrimCommands} commands, reclaimed {FormatBytes(result.BytesReclaimed)}.");
            }

            WriteObject(new RetentionSummary
            {
                Cutoff = cutoff,
                WhatIf = whatIf,
                PartitionsScanned = partitions.Count,
                PartitionsTouched = touched,
                EntriesRemoved = entries,
                BytesReclaimed = bytes,
                EntriesArchived = archived,
                ArchiveFiles = files.ToArray(),
                Oldest = oldest,
                Newest = newest,
            });
        }

        /// <summary>The archive folder as a full path, created unless this is a -WhatIf run; a folder that cannot be made ends the command.</summary>
        private string PrepareArchiveFolder(bool whatIf)
        {
            var folder = SessionState.Path.GetUnresolvedProviderPathFromPSPath(ArchivePath);
            if (whatIf) return folder;
            try
            {
                if (File.Exists(folder)) throw new IOException($"'{folder}' is a file, not a folder.");
                Directory.CreateDirectory(folder);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException || ex is NotSupportedException || ex is ArgumentException)
            {
                ThrowTerminatingError(new ErrorRecord(new IOException($"Cannot use '{folder}' as the archive folder: {ex.Message} Nothing was removed.", ex),
                    "ArchiveWriteFailed", ErrorCategory.WriteError, folder));
            }

            return folder;
        }

        private static string FormatTime(DateTime? utc) =>
            utc is { } time ? time.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) : "-";

        private static string FormatBytes(long bytes) => Sizes.Bytes(bytes);
    }
}
