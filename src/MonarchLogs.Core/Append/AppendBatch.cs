using System;
using System.Collections.Generic;
using System.Threading;
using MonarchLogs.Core.Format;

namespace MonarchLogs.Core.Append
{
    /// <summary>
    /// A batch of entries and, for each, whether it is settled: stored by an earlier attempt, or
    /// given up by the caller (its partition was refused). Appenders send only what is unsettled.
    /// </summary>
    public sealed class AppendBatch
    {
        private readonly bool[] _settled;
        private readonly bool[] _stored;
        private int _sent;
        private int _late;

        /// <summary>A batch of <paramref name="entries"/>, none of them settled yet.</summary>
        public AppendBatch(IReadOnlyList<MonarchLogEntry> entries)
        {
            Entries = entries ?? throw new ArgumentNullException(nameof(entries));
            _settled = new bool[entries.Count];
            _stored = new bool[entries.Count];
        }

        /// <summary>
        /// A batch of <paramref name="count"/> entries already made into <paramref name="blocks"/>
        /// (an import's, made from its payload lines): <see cref="Entries"/> is empty, and the
        /// blocks' indexes refer to the entries' places in the caller's own list.
        /// </summary>
        internal AppendBatch(int count, List<PlannedBlock> blocks)
        {
            Entries = Array.Empty<MonarchLogEntry>();
            _settled = new bool[count];
            _stored = new bool[count];
            Blocks = blocks;
        }

        /// <summary>The entries, in the order the caller gave them; the indexes of the other members refer to it.</summary>
        public IReadOnlyList<MonarchLogEntry> Entries { get; }

        /// <summary>The number of entries.</summary>
        public int Count => _settled.Length;

        /// <summary>Whether any attempt put this batch's commands on the wire (so an unanswered entry is "unconfirmed", not "never sent").</summary>
        public bool Sent => Volatile.Read(ref _sent) == 1;

        /// <summary>Whether the entry at <paramref name="index"/> is settled: stored, or given up by the caller.</summary>
        public bool IsSettled(int index) => _settled[index];

        /// <summary>Whether the server confirmed storing the entry at <paramref name="index"/>.</summary>
        public bool IsStored(int index) => _stored[index];

        /// <summary>Entries neither stored nor given up.</summary>
        public int Unsettled
        {
            get
            {
                var count = 0;
                foreach (var settled in _settled) if (!settled) count++;
                return count;
            }
        }

        /// <summary>Entries the server confirmed storing, over every attempt.</summary>
        public int StoredCount
        {
            get
            {
                var count = 0;
                foreach (var stored in _stored) if (stored) count++;
                return count;
            }
        }

        /// <summary>
        /// Whether the blocks go into their partitions' streams at their entries' event time
        /// where the stream allows it (its top ID is not later, nor the server's clock earlier):
        /// an import of past entries, which then stands where a live writer would have put it.
        /// A live writer's blocks go in at the server's time.
        /// </summary>
        internal bool AtEventTime { get; set; }

        /// <summary>Entries of this batch stored in blocks that went in late (not at their event time: their stream held later IDs); only counted when <see cref="AtEventTime"/>.</summary>
        internal int Late => Volatile.Read(ref _late);

        internal void AddLate(int entries) => Interlocked.Add(ref _late, entries);

        /// <summary>The blocks a format 2 appender made of this batch on its first attempt, sent again as they are by a retry.</summary>
        internal List<PlannedBlock>? Blocks { get; set; }

        /// <summary>
        /// Called once, as soon as <see cref="Blocks"/> are made: a caller that needs the entries no
        /// more (a retry sends the blocks) lets go of them here, so that they do not outlive the
        /// collections that come while the batch is in flight. <see cref="Entries"/> may be empty after.
        /// </summary>
        internal Action? Encoded { get; set; }

        internal void MarkSent() => Volatile.Write(ref _sent, 1);

        internal void MarkStored(int index)
        {
            _stored[index] = true;
            _settled[index] = true;
        }

        /// <summary>Gives up the unsettled entries of one partition; returns how many.</summary>
        public int GiveUp(Partition partition, StorageFormat format)
        {
            if (Blocks is not null) return GiveUp(partition.StreamKey);
            var count = 0;
            for (var i = 0; i < _settled.Length; i++)
            {
                if (_settled[i]) continue;
                if (format.GetPartition(Entries[i].Service, Entries[i].Level).StreamKey != partition.StreamKey) continue;
                _settled[i] = true;
                count++;
            }

            return count;
        }

        /// <summary>Gives up the unsettled entries of the blocks of one stream: every entry unsettled when the blocks were made is in one.</summary>
        private int GiveUp(string streamKey)
        {
            var count = 0;
            foreach (var block in Blocks!)
            {
                if (block.Partition.StreamKey != streamKey) continue;
                foreach (var i in block.Indexes)
                {
                    if (_settled[i]) continue;
                    _settled[i] = true;
                    count++;
                }
            }

            return count;
        }

        /// <summary>Gives up every unsettled entry; returns how many.</summary>
        public int GiveUpAll()
        {
            var count = 0;
            for (var i = 0; i < _settled.Length; i++)
            {
                if (_settled[i]) continue;
                _settled[i] = true;
                count++;
            }

            return count;
        }
    }
}
