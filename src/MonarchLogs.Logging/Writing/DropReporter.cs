using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core;
using MonarchLogs.Core.Append;
using MonarchLogs.Core.Format;

namespace MonarchLogs.Logging.Writing
{
    /// <summary>
    /// Reports what the <see cref="DropLedger"/> holds unreported in one entry in the store, a
    /// drop notice (warning, category <see cref="NoticeCategory"/>), and in the EventSource
    /// once it is stored; the meter counts each drop as the ledger takes it. While entries keep
    /// being dropped, at most one notice a second; once the loop is idle, what was held back
    /// goes out when its second is up. A notice that cannot be stored leaves the drops unreported,
    /// for the next one.
    /// </summary>
    internal sealed class DropReporter
    {
        public const string NoticeCategory = "MonarchLogs.Logging";

        /// <summary>Shortest time between two drop notices while the writer is busy.</summary>
        private static readonly TimeSpan ReportInterval = TimeSpan.FromSeconds(1);

        private readonly MonarchValkeyLoggerOptions _options;
        private readonly string _service;
        private readonly StorageFormat _format;
        private readonly CancellationTokenSource _abort;
        private readonly DropLedger _ledger;
        private readonly SetAside _setAside;
        private readonly BatchSender _sender;
        private DateTime _lastReport;

        public DropReporter(MonarchValkeyLoggerOptions options, string service, StorageFormat format, CancellationTokenSource abort, DropLedger ledger, SetAside setAside, BatchSender sender)
        {
            _options = options;
            _service = service;
            _format = format;
            _abort = abort;
            _ledger = ledger;
            _setAside = setAside;
            _sender = sender;
        }

        public bool HasUnreported => _ledger.HasUnreported;

        /// <summary>
        /// While the loop waits for <paramref name="next"/> entry: reports the drops held back
        /// when their second is up, and again a second after each notice not stored, until the
        /// entry comes or nothing is left to report.
        /// </summary>
        public async Task ReportWhileIdleAsync(ILogAppender appender, Task next)
        {
            while (!next.IsCompleted && _ledger.HasUnreported)
            {
                var due = _lastReport + ReportInterval - DateTime.UtcNow;
                if (due > TimeSpan.Zero) await Task.WhenAny(next, Task.Delay(due, _abort.Token)).ConfigureAwait(false);
                if (!next.IsCompleted) await ReportDropsAsync(appender).ConfigureAwait(false);
            }
        }

        /// <summary>Writes one entry saying what was not stored, and why, since the last report.</summary>
        public async Task ReportDropsAsync(ILogAppender appender, bool throttled = false)
        {
            if (!_ledger.HasUnreported) return;
            var now = DateTime.UtcNow;

            // While entries keep being dropped (a partition set aside, say), at most one notice
            // a second, not one a batch; the loop reports what is held back once it is idle.
            if (throttled && now - _lastReport < ReportInterval) return;
            _lastReport = now;
            var noticeKey = _format.GetPartition(_service, MonarchLogLevel.Warning).StreamKey;
            if (_setAside.IsBlocked(SetAside.Store, now, out _) || _setAside.IsBlocked(noticeKey, now, out _)) return;

            DropLedger.Report? report = null;
            var notice = new List<MonarchLogEntry>(1) { DropNotice(_ledger.Snapshot()) };

            // Counted again before each attempt, so that drops made while Valkey is still away
            // go into the same one notice.
            var stored = await _sender.WriteAsync(appender, notice, counted: false, beforeAttempt: () =>
            {
                report = _ledger.Snapshot();
                notice[0] = DropNotice(report);
            }).ConfigureAwait(false);

            // A notice given up (Valkey refused it past the retry time limit) reports nothing: the
            // drops stay unreported, and the loop tries again once it is idle.
            if (!stored || report is null) return;
            _ledger.MarkReported(report);
            MonarchLogsEventSource.Log.EntriesDropped(_service, report.NotStored, notice[0].Message);
        }

        private MonarchLogEntry DropNotice(DropLedger.Report report) => new MonarchLogEntry
        {
            Timestamp = DateTime.UtcNow,
            Level = MonarchLogLevel.Warning,
            Service = _service,
            Category = NoticeCategory,
            Message = report.Message(_options.BufferCapacity),
            Template = "{DroppedEntries} log entries were not stored",
            Properties = report.PropertiesJson(_options.BufferCapacity),
        };
    }
}
