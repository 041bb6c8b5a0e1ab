namespace MonarchLogs.Core.Format
{
    /// <summary>One stream of the store: the entries of one service at one level.</summary>
    public sealed class Partition
    {
        internal Partition(string service, MonarchLogLevel level, string streamKey, string countsKey, string headKey, string lateKey)
        {
            Service = service;
            Level = level;
            StreamKey = streamKey;
            CountsKey = countsKey;
            HourCountsKey = countsKey + ":hours";
            HeadKey = headKey;
            LateKey = lateKey;
        }

        /// <summary>The service whose entries the stream holds.</summary>
        public string Service { get; }

        /// <summary>The level of the entries the stream holds.</summary>
        public MonarchLogLevel Level { get; }

        /// <summary>The Valkey key of the stream, for diagnostics; code builds keys through <see cref="StorageFormat"/>.</summary>
        public string StreamKey { get; }

        /// <summary>
        /// The hash of the partition's entry counts per minute (field: Unix minutes of the entry's
        /// ID, value: entries); on the stream's cluster slot, so the append script updates both.
        /// </summary>
        public string CountsKey { get; }

        /// <summary>The same counts per hour (field: Unix hours), beside <see cref="CountsKey"/> and on its slot: a month is 720 fields.</summary>
        public string HourCountsKey { get; }

        /// <summary>Format 2: the partition's head stream (small blocks a live tail reads at once, compacted into the stream), on the stream's slot.</summary>
        internal string HeadKey { get; }

        /// <summary>Format 2: the sorted set of the partition's late blocks (score: t0 in Unix milliseconds, member: block ID), on the stream's slot.</summary>
        internal string LateKey { get; }

        internal string OrderKey => LogEntryId.PartitionOrderKey(Service, Level);

        /// <summary>The partition as users name it: <c>service/level</c>, the level in its storage spelling.</summary>
        public override string ToString() => $"{Service}/{LogLevels.StorageName(Level)}";
    }
}
