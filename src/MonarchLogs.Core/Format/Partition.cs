namespace MonarchLogs.Core.Format
{
    /// <summary>One stream of the store: the entries of one service at one level.</summary>
    public sealed class Partition
    {
        internal Partition(string service, MonarchLogLevel level, string streamKey)
        {
            Service = service;
            Level = level;
            StreamKey = streamKey;
        }

        public string Service { get; }

        public MonarchLogLevel Level { get; }

        /// <summary>The Valkey key of the stream, for diagnostics; code builds keys through <see cref="StorageFormat"/>.</summary>
        public string StreamKey { get; }

        internal string OrderKey => LogEntryId.PartitionOrderKey(Service, Level);

        public override string ToString() => $"{Service}/{LogLevels.StorageName(Level)}";
    }
}
