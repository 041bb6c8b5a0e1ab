using System;
using System.Collections.Generic;
using MonarchLogs.Core.Format.Blocks;

namespace MonarchLogs.Core.Tail
{
    /// <summary>
    /// The blocks of one partition a live tail has read, by writer and sequence: a block whose
    /// reply was lost is sent again and stored twice with the same <c>w</c> and <c>seq</c>, and
    /// readers drop the second. A retry follows its first copy within seconds, so each writer's
    /// last <see cref="SequencesPerWriter"/> sequences are kept.
    /// </summary>
    internal sealed class BlockRepeats
    {
        internal const int SequencesPerWriter = 4096;
        private const int MaxWriters = 1024;

        private readonly Dictionary<string, (HashSet<long> Seen, Queue<long> Order)> _writers = new Dictionary<string, (HashSet<long>, Queue<long>)>(StringComparer.Ordinal);

        /// <summary>True when a block of the same writer and sequence was read before; else notes this one.</summary>
        public bool IsRepeat(StoredBlock block)
        {
            if (!block.HasWriter) return false;
            var writer = block.Header.WriterId;
            if (!_writers.TryGetValue(writer, out var sequences))
            {
                if (_writers.Count >= MaxWriters) _writers.Clear();
                sequences = (new HashSet<long>(), new Queue<long>());
                _writers[writer] = sequences;
            }

            if (!sequences.Seen.Add(block.Header.Sequence)) return true;
            sequences.Order.Enqueue(block.Header.Sequence);
            if (sequences.Order.Count > SequencesPerWriter) sequences.Seen.Remove(sequences.Order.Dequeue());
            return false;
        }
    }
}
