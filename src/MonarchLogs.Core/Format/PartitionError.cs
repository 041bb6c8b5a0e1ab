using System;
using StackExchange.Redis;

namespace MonarchLogs.Core.Format
{
    /// <summary>
    /// One partition the store could not read, or one registry entry it could not understand.
    /// A read reports it and goes on with the other partitions; the caller decides how to show it
    /// (a cmdlet writes a non-terminating error, the viewer a warning in its answer).
    /// </summary>
    public sealed class PartitionError
    {
        /// <summary>A failure of one partition, or of one registry entry.</summary>
        /// <param name="key">The stream key, or the registry field of an entry that names no valid partition.</param>
        /// <param name="partition">The partition; null for a bad registry entry.</param>
        /// <param name="error">The failure, classified by <see cref="StoreErrors"/>.</param>
        public PartitionError(string key, Partition? partition, MonarchLogsException error)
        {
            Key = key ?? throw new ArgumentNullException(nameof(key));
            Partition = partition;
            Error = error ?? throw new ArgumentNullException(nameof(error));
        }

        /// <summary>The stream key, or the registry field of an entry that names no valid partition.</summary>
        public string Key { get; }

        /// <summary>The partition, when the registry entry was valid; null for a bad registry entry.</summary>
        public Partition? Partition { get; }

        /// <summary>The failure, classified by <see cref="StoreErrors"/>: its ErrorId, Kind and message.</summary>
        public MonarchLogsException Error { get; }

        /// <summary>The stable id of the failure, as the cmdlets and the viewer report it.</summary>
        public string ErrorId => Error.ErrorId;

        /// <summary>What the error is about, as users name it: <c>service/level</c>, else the key.</summary>
        public string Target => Partition?.ToString() ?? Key;

        /// <summary><c>target: message</c>, for a warning line.</summary>
        public override string ToString() => $"{Target}: {Error.Message}";

        /// <summary>
        /// The error of one partition's read, or null when the failure concerns the whole store
        /// (a lost connection, a timeout, a server that is loading): those end the read as before.
        /// </summary>
        internal static PartitionError? FromReadFailure(Partition partition, Exception ex)
        {
            if (ex is AggregateException { InnerExceptions.Count: 1 } aggregate) ex = aggregate.InnerExceptions[0];
            // Only the server's refusal of a command on this key (WRONGTYPE, NOPERM, ERR) is about
            // the partition; anything else is about the connection or the code, and ends the read.
            if (ex is not RedisServerException) return null;
            var error = StoreErrors.Classify(ex, partition.ToString());
            if (error.IsTransient || error.Kind == MonarchErrorKind.ConnectionError || error.Kind == MonarchErrorKind.OperationTimeout) return null;
            if (error.ErrorId == StoreErrors.AuthenticationFailed || error.ErrorId == StoreErrors.UnsupportedFormat) return null;
            return new PartitionError(partition.StreamKey, partition, error);
        }
    }
}
