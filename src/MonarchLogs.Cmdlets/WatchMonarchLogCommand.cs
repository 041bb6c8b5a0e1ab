using System;
using System.Diagnostics;
using System.Management.Automation;
using System.Threading;
using MonarchLogs.Cmdlets.Arguments;
using MonarchLogs.Cmdlets.Infrastructure;
using MonarchLogs.Core;
using MonarchLogs.Core.Tail;

namespace MonarchLogs.Cmdlets
{
    /// <summary>
    /// Follows the store live: -Tail N matching entries first, then each new matching entry as it
    /// is written. Runs until Ctrl+C, -Count entries or -Timeout; a Valkey restart only pauses it.
    /// All waiting and writing happens here on the pipeline thread; the tail's wait takes the
    /// stop token, so Ctrl+C ends it at once.
    /// </summary>
    [Cmdlet(VerbsCommon.Watch, "MonarchLog")]
    [OutputType(typeof(MonarchLogRecord))]
    public sealed class WatchMonarchLogCommand : MonarchFilterCommandBase
    {
        /// <summary>Show the last N matching entries first, oldest of them first.</summary>
        [Parameter]
        [ValidateRange(0, int.MaxValue)]
        public int Tail { get; set; }

        /// <summary>End after writing N entries (the -Tail entries included).</summary>
        [Parameter]
        [ValidateRange(1, int.MaxValue)]
        public int Count { get; set; }

        /// <summary>End after this long: a TimeSpan or a number of seconds.</summary>
        [Parameter]
        [DurationTransformation]
        [ValidatePositiveDuration]
        public TimeSpan Timeout { get; set; }

        protected override void ProcessRecord()
        {
            var query = BuildQuery();
            var limit = MyInvocation.BoundParameters.ContainsKey(nameof(Count)) ? Count : long.MaxValue;
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(StopToken);
            if (MyInvocation.BoundParameters.ContainsKey(nameof(Timeout))) deadline.CancelAfter(Timeout);
            var token = deadline.Token;

            var store = OpenStore();
            long written = 0;
            try
            {
                // A partition that cannot be read is a non-terminating error; the tail follows the others.
                using var tail = Await(store.OpenTailAsync(query, PartitionErrors, token), query);
                WritePartitionErrors();
                WriteVerbose("Watching for new entries.");
                if (Tail > 0)
                {
                    var backlog = Await(tail.ReadBacklogAsync(Tail, token));
                    WritePartitionErrors();
                    foreach (var entry in backlog)
                    {
                        if (written == limit) return;
                        WriteObject(new MonarchLogRecord(entry));
                        written++;
                    }
                }

                Follow(tail, limit, written, token);
            }
            catch (OperationCanceledException) when (!StopToken.IsCancellationRequested && deadline.IsCancellationRequested)
            {
                // -Timeout elapsed: the end a script asked for, not a failure.
            }
        }

        private void Follow(LogTail tail, long limit, long written, CancellationToken token)
        {
            var connectionLost = false;
            var lostAt = Stopwatch.StartNew();
            while (written < limit)
            {
                var entries = Await(tail.NextAsync(LogTail.DefaultPollInterval, token));
                WritePartitionErrors();
                if (tail.LastError is { } error)
                {
                    if (!connectionLost)
                    {
                        connectionLost = true;
                        lostAt.Restart();
                        WriteWarning($"Lost the connection to Valkey ({error.GetType().Name}). Still watching: entries resume from the last one shown when it answers again.");
                    }

                    continue;
                }

                if (connectionLost)
                {
                    connectionLost = false;
                    WriteVerbose($"Valkey answers again after {lostAt.Elapsed.TotalSeconds:0.0} s; resuming from the last entry shown.");
                }

                foreach (var entry in entries)
                {
                    WriteObject(new MonarchLogRecord(entry));
                    if (++written == limit) return;
                }
            }
        }
    }
}
