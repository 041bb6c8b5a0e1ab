using System;
using System.Collections.Generic;
using System.Management.Automation;
using MonarchLogs.Cmdlets.Arguments;
using MonarchLogs.Cmdlets.Infrastructure;
using MonarchLogs.Core;
using MonarchLogs.Core.Query;

namespace MonarchLogs.Cmdlets
{
    /// <summary>
    /// Reads log entries from the store, newest first, streaming each one as it is read: the
    /// command stops reading as soon as -First is reached or the pipeline stops taking more.
    /// The time range is half-open, [Since, Until).
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "MonarchLog", DefaultParameterSetName = RangeSet)]
    [OutputType(typeof(MonarchLogRecord))]
    public sealed class GetMonarchLogCommand : MonarchFilterCommandBase
    {
        private const string RangeSet = "Range";
        private const string AroundSet = "Around";

        /// <summary>Entries at or after this time (inclusive).</summary>
        [Parameter(ParameterSetName = RangeSet)]
        [TimeTransformation]
        public DateTime Since { get; set; }

        /// <summary>Entries before this time (exclusive).</summary>
        [Parameter(ParameterSetName = RangeSet)]
        [TimeTransformation]
        public DateTime Until { get; set; }

        /// <summary>Only the first N entries, in the order asked for.</summary>
        [Parameter(ParameterSetName = RangeSet)]
        [ValidateRange(1, int.MaxValue)]
        public int First { get; set; }

        /// <summary>Oldest first instead of newest first.</summary>
        [Parameter(ParameterSetName = RangeSet)]
        public SwitchParameter Oldest { get; set; }

        /// <summary>Only entries after this entry Id, in store order (older to newer).</summary>
        [Parameter(ParameterSetName = RangeSet)]
        [ValidateNotNullOrEmpty]
        public string After { get; set; } = null!;

        /// <summary>Only entries before this entry Id, in store order.</summary>
        [Parameter(ParameterSetName = RangeSet)]
        [ValidateNotNullOrEmpty]
        public string Before { get; set; } = null!;

        /// <summary>The entry whose context to get: its Id, or entries of Get-MonarchLog piped in (their Id is taken).</summary>
        [Parameter(ParameterSetName = AroundSet, Mandatory = true, ValueFromPipelineByPropertyName = true)]
        [Alias("Id")]
        [ValidateNotNullOrEmpty]
        public string Around { get; set; } = null!;

        /// <summary>How many entries before and after the -Around entry.</summary>
        [Parameter(ParameterSetName = AroundSet)]
        [ValidateRange(1, 10_000)]
        public int Context { get; set; } = 10;

        protected override void ProcessRecord()
        {
            if (ParameterSetName == AroundSet)
            {
                WriteContext();
                return;
            }

            var bound = MyInvocation.BoundParameters;
            LogQuery query = BuildQuery(
                since: bound.ContainsKey(nameof(Since)) ? Since : null,
                until: bound.ContainsKey(nameof(Until)) ? Until : null,
                after: After,
                before: Before,
                oldestFirst: Oldest.IsPresent,
                limit: bound.ContainsKey(nameof(First)) ? First : null);

            // The filter's own checks (Since before Until, cursor syntax) run before any connection.
            ValidateQuery(query, After, Before);
            var store = OpenStore();
            var limit = bound.ContainsKey(nameof(First)) ? First : int.MaxValue;
            var written = 0;
            // A partition that cannot be read is a non-terminating error; the others are still read.
            IAsyncEnumerator<MonarchLogEntry> entries = store.QueryAsync(query, PartitionErrors, StopToken).GetAsyncEnumerator(StopToken);
            try
            {
                while (written < limit && AwaitNext(entries))
                {
                    // Throws StopUpstreamCommandsException or PipelineStoppedException when the
                    // consumer has enough; the finally block then ends the read.
                    WriteObject(new MonarchLogRecord(entries.Current));
                    written++;
                }
            }
            finally
            {
                DisposeQuietly(entries);
            }

            WritePartitionErrors();
            WriteVerbose($"{written} entries.");
        }

        /// <summary>The -Around entry with its neighbours across services and levels, oldest first; the other filters narrow the neighbours.</summary>
        private void WriteContext()
        {
            var filters = BuildQuery();
            ValidateQuery(filters, after: null, before: null);
            if (!LogEntryId.TryParse(Around, out _))
            {
                ThrowTerminatingError(ToErrorRecord(new MonarchLogsException("InvalidCursor", MonarchErrorKind.InvalidArgument,
                    $"-Around '{DisplayText.Quote(Around)}' is not a log entry Id; an Id looks like 1764340087123-0@orders/error."), Around));
            }

            var store = OpenStore();
            var around = Await(store.GetContextAsync(Around, Context, filters, PartitionErrors, StopToken), Around);
            WritePartitionErrors();
            if (around.Entry is null) WriteWarning($"The store no longer holds the entry {DisplayText.Quote(Around)}; these are the entries that were around it.");
            foreach (var entry in around.Before) WriteObject(new MonarchLogRecord(entry));
            if (around.Entry is not null) WriteObject(new MonarchLogRecord(around.Entry));
            foreach (var entry in around.After) WriteObject(new MonarchLogRecord(entry));
        }

        private bool AwaitNext(IAsyncEnumerator<MonarchLogEntry> entries)
        {
            var more = Await(entries.MoveNextAsync().AsTask());
            WritePartitionErrors();
            return more;
        }

        private static void DisposeQuietly(IAsyncEnumerator<MonarchLogEntry> entries)
        {
            try
            {
                entries.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
            catch (Exception ex) when (ex is OperationCanceledException || IsStoreFailure(ex))
            {
                // Ending a read that already failed or was stopped; the cause is reported elsewhere.
            }
        }
    }
}
