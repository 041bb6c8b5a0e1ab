using System.Threading;
using System.Threading.Tasks;
using MonarchLogs.Core.Format;

namespace MonarchLogs.Core.Query
{
    /// <summary>
    /// One partition's entries in store order, as <see cref="MergedReader"/> merges them: a
    /// current entry and its position, moved one entry at a time. A format 1 partition is read by
    /// <see cref="StreamCursor"/>, a format 2 partition by <see cref="BlockCursor"/>.
    /// </summary>
    internal abstract class PartitionCursor
    {
        protected PartitionCursor(Partition partition) => Partition = partition;

        public Partition Partition { get; }

        /// <summary>The position of the current entry, valid after <see cref="EnsureCurrentAsync"/> answered true.</summary>
        public StreamId CurrentPosition { get; protected set; }

        /// <summary>Sends the first read, so that every partition's first read goes out in one pipeline.</summary>
        public abstract void Start();

        /// <summary>Brings the cursor to its next entry; false when it has none.</summary>
        public abstract Task<bool> EnsureCurrentAsync(CancellationToken cancellationToken);

        /// <summary>
        /// Brings the cursor to its next entry when that needs no read from the server (the entry is
        /// in a page already read); false when it does not know without one: then
        /// <see cref="EnsureCurrentAsync"/> says.
        /// </summary>
        public virtual bool TryMoveNext() => false;

        /// <summary>The current entry; the cursor moves past it.</summary>
        public abstract MonarchLogEntry Take();

        /// <summary>The current entry as it was read (a cursor of blocks that reads lines gives payload lines); the cursor moves past it.</summary>
        public virtual StoredEntry TakeStored()
        {
            var position = CurrentPosition;
            return new StoredEntry(Partition, position, Take());
        }
    }
}
