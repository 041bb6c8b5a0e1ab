using System;

namespace MonarchLogs.Core.Statistics
{
    /// <summary>The range a count covers, [Since, Until) in Unix milliseconds, and its buckets.</summary>
    internal readonly struct CountRange
    {
        public CountRange(long since, long until, long origin, long interval, int buckets)
        {
            Since = since;
            Until = until;
            Origin = origin;
            Interval = interval;
            Buckets = buckets;
        }

        public long Since { get; }

        public long Until { get; }

        public long Origin { get; }

        /// <summary>Milliseconds; 0 for one bucket.</summary>
        public long Interval { get; }

        public int Buckets { get; }

        public int BucketOf(long milliseconds) =>
            Interval == 0 ? 0 : (int)Math.Min(Buckets - 1, Math.Max(0, (milliseconds - Origin) / Interval));
    }
}
