using System;
using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Format;
using StackExchange.Redis;

namespace MonarchLogs.Core.Query
{
    /// <summary>
    /// A format 1 partition: one stream entry per log entry, read by ID range in pages that grow
    /// from the caller's limit to 1024; at most two pages are held.
    /// </summary>
    internal sealed class StreamCursor : PartitionCursor
    {
        private const int PageSize = 1024;

        private readonly IDatabase _db;
        private readonly bool _descending;
        private StreamRange _range;
        private int _pageSize;
        private Task<StreamEntry[]>? _next;
        private StreamEntry[] _page = Array.Empty<StreamEntry>();
        private int _index;
        private bool _exhausted;

        public StreamCursor(IDatabase db, Partition partition, StreamRange range, bool descending, int firstPageSize)
            : base(partition)
        {
            _db = db;
            _range = range;
            _descending = descending;
            _pageSize = Math.Min(PageSize, firstPageSize);
        }

        public override void Start() => _next = FetchNext();

        public override async Task<bool> EnsureCurrentAsync(CancellationToken cancellationToken)
        {
            while (_index >= _page.Length)
            {
                if (_exhausted) return false;
                _next ??= FetchNext();
                _page = await _next.WithCancellation(cancellationToken).ConfigureAwait(false);
                _next = null;
                _index = 0;
                _exhausted = _page.Length < _pageSize;
                if (_page.Length == 0) return false;
                StreamId.TryParse(_page[_page.Length - 1].Id, out var last);
                _range = _range.ContinueAfter(last, _descending);
                _pageSize = Math.Min(PageSize, _pageSize * 2);
            }

            // Half way through a page, ask for the next one, so the merge rarely waits and a
            // caller that stops early has not made the server read far ahead.
            if (_next is null && !_exhausted && _index >= _page.Length / 2) _next = FetchNext();
            StreamId.TryParse(_page[_index].Id, out var position);
            CurrentPosition = position;
            return true;
        }

        public override MonarchLogEntry Take() => Version1Entry.Decode(Partition, _page[_index++], CurrentPosition);

        private Task<StreamEntry[]> FetchNext() =>
            _db.StreamRangeAsync(Partition.StreamKey, _range.LowArgument, _range.HighArgument, _pageSize, _descending ? Order.Descending : Order.Ascending);
    }
}
