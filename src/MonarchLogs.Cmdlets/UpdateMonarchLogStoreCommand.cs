using System;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using MonarchLogs.Cmdlets.Display;
using MonarchLogs.Cmdlets.Infrastructure;
using MonarchLogs.Core.Upgrade;

namespace MonarchLogs.Cmdlets
{
    /// <summary>
    /// Upgrades the store from storage format 1 (one stream entry per log entry) to format 2
    /// (compressed blocks) while services keep writing: the store engine marks it version 2, then
    /// turns every partition's entries into blocks, one atomic step per block. Ctrl+C or a crash
    /// loses and doubles nothing; a second run goes on where the first stopped, and once done
    /// converts nothing. ConfirmImpact High: it cannot be undone, and MonarchLogs versions before
    /// format 2 no longer read the store; -Confirm:$false runs it without a prompt.
    /// </summary>
    [Cmdlet(VerbsData.Update, "MonarchLogStore", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
    [OutputType(typeof(UpgradeSummary))]
    public sealed class UpdateMonarchLogStoreCommand : MonarchCommandBase
    {
        private const int ProgressId = 3;
        private const string Activity = "Update-MonarchLogStore";
        private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(250);

        private UpgradeProgress? _progress;

        protected override void ProcessRecord()
        {
            var target = ResolveTarget();
            var store = OpenStore(target);
            if (IsWhatIf())
            {
                var preview = Await(store.PreviewUpgradeAsync(PartitionErrors, StopToken), target.DisplayName);
                WritePartitionErrors();
                var toConvert = preview.Partitions.Where(p => p.Entries > 0).ToList();
                foreach (var partition in toConvert)
                {
                    ShouldProcess(TerminalText.Escape(partition.Partition.ToString()), $"Convert {Entries(partition.Entries)} of storage format 1 into blocks of format 2");
                }

                if (preview.Version.Length == 0) WriteWarning(NoStore(store.Format.Prefix));
                else if (preview.Version != "2") ShouldProcess(target.DisplayName, $"Mark the store under '{TerminalText.Escape(store.Format.Prefix)}' storage format 2 (it is version {preview.Version})");
                WriteObject(new UpgradeSummary
                {
                    WhatIf = true,
                    PreviousVersion = preview.Version,
                    Version = preview.Version,
                    PartitionsScanned = preview.Partitions.Count,
                    PartitionsConverted = toConvert.Count,
                    EntriesConverted = toConvert.Sum(p => p.Entries),
                });
                return;
            }

            if (!ShouldProcess(target.DisplayName, $"Upgrade the store under '{TerminalText.Escape(store.Format.Prefix)}' to storage format 2, which MonarchLogs versions before it cannot read")) return;
            var upgrade = store.UpgradeAsync(progress => Volatile.Write(ref _progress, progress), PartitionErrors, StopToken);
            UpgradeResult result;
            try
            {
                result = AwaitWithTicks(upgrade, ProgressInterval, () =>
                {
                    WritePartitionErrors();
                    if (Volatile.Read(ref _progress) is { } now) WriteProgress(ToRecord(now));
                }, target.DisplayName);
            }
            catch (PipelineStoppedException) when (StopToken.IsCancellationRequested)
            {
                var done = Volatile.Read(ref _progress)?.EntriesConverted ?? 0;
                WriteWarningWhileStopping($"The upgrade stopped after converting {Entries(done)}; nothing was lost or stored twice. Run Update-MonarchLogStore again to go on.");
                throw;
            }

            WriteProgress(new ProgressRecord(ProgressId, Activity, "Done") { RecordType = ProgressRecordType.Completed });
            if (result.Version.Length == 0) WriteWarning(NoStore(store.Format.Prefix));
            WriteVerbose($"Converted {Entries(result.EntriesConverted)} into {Count(result.BlocksWritten)} blocks in {result.Passes} passes.");
            if (result.EntriesLeft > 0)
            {
                WriteWarning($"{Entries(result.EntriesLeft)} too large for a block stay as they are; MonarchLogs reads them as before.");
            }

            WriteObject(new UpgradeSummary
            {
                PreviousVersion = result.PreviousVersion,
                Version = result.Version,
                PartitionsScanned = result.PartitionsScanned,
                PartitionsConverted = result.PartitionsConverted,
                EntriesConverted = result.EntriesConverted,
                BlocksWritten = result.BlocksWritten,
                Passes = result.Passes,
                EntriesLeft = result.EntriesLeft,
            });
        }

        private static ProgressRecord ToRecord(UpgradeProgress progress)
        {
            var status = $"Pass {progress.Pass}, {TerminalText.Escape(progress.Partition)}: {Count(progress.EntriesConverted)} of about {Count(progress.TotalEstimate)} entries in {Count(progress.BlocksWritten)} blocks";
            var percent = progress.TotalEstimate > 0 ? (int)Math.Min(100, 100 * progress.EntriesConverted / progress.TotalEstimate) : -1;
            return new ProgressRecord(ProgressId, Activity, status) { PercentComplete = percent };
        }

        private static string NoStore(string prefix) =>
            $"There is no store under the prefix '{TerminalText.Escape(prefix)}' (no format key, no partitions), so there is nothing to upgrade; check -Prefix.";

        private static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

        private static string Entries(long value) => Count(value) + (value == 1 ? " entry" : " entries");
    }
}
