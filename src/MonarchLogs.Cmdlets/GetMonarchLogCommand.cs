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
    [Cmdlet(VerbsCommon.Get, "MonarchLog")]
    [OutputType(typeof(MonarchLogRecord))]
    public sealed class GetMonarchLogCommand : MonarchFilterCommandBase
    {
        /// <summary>Entries at or after this time (inclusive).</summary>
        [Parameter]
        [TimeTransformation]
        public DateTime Since { get; set; }

        /// <summary>Entries before this time (exclusive).</summary>
        [Parameter]
        [TimeTransformation]
        public DateTime Until { get; set; }

        /// <summary>Only the first N entries, in the order asked for.</summary>
        [Parameter]
        [ValidateRange(1, int.MaxValue)]
        public int First { get; set; }

        /// <summary>Oldest first instead of newest first.</summary>
        [Parameter]
        public SwitchParameter Oldest { get; set; }

        /// <summary>Only entries after this entry Id, in store order (older to newer).</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string After { get; set; } = null!;

        /// <summary>Only entries before this entry Id, in store order.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string Before { get; set; } = null!;

        protected override void ProcessRecord()
        {
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
