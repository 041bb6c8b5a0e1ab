using System.Collections.Generic;
using System.Linq;
using MonarchLogs.Core.Format;

namespace MonarchLogs.Core.Archive
{
    /// <summary>What an import knows of one partition it met: whether it held entries when the import met it, what of them the file matched, and whether the store refused it.</summary>
    internal sealed class ImportPartition
    {
        /// <summary>Stored entries already matched to an entry of the file: how many of each fingerprint, and the event time of the last (pruned as the file moves on).</summary>
        private readonly Dictionary<EntryFingerprint, (int Count, long Ticks)> _taken = new Dictionary<EntryFingerprint, (int, long)>();

        public ImportPartition(Partition partition) => Partition = partition;

        public Partition Partition { get; }

        /// <summary>Whether the import asked what the partition held when it met it.</summary>
        public bool Known { get; set; }

        /// <summary>Whether the partition's stream or head held entries when the import met it: only then can an entry of the file be there already.</summary>
        public bool Held { get; set; }

        /// <summary>Why the store refused the partition; its entries are then not imported.</summary>
        public MonarchLogsException? Failure { get; set; }

        /// <summary>The partition's entries the import did not store because the store refused it.</summary>
        public long FailedEntries { get; set; }

        /// <summary>Matches an entry of the file to a stored one of <paramref name="stored"/> not matched before (a lookup's range holds every stored entry of that fingerprint, whose time is in it).</summary>
        public bool TakeStored(Dictionary<EntryFingerprint, int> stored, EntryFingerprint fingerprint, long ticks)
        {
            if (!stored.TryGetValue(fingerprint, out var count)) return false;
            _taken.TryGetValue(fingerprint, out var taken);
            if (taken.Count >= count) return false;
            _taken[fingerprint] = (taken.Count + 1, ticks);
            return true;
        }

        /// <summary>Forgets the matches of entries before <paramref name="ticks"/>: a lookup from there on finds none of them.</summary>
        public void ForgetTakenBefore(long ticks)
        {
            if (_taken.Count == 0) return;
            foreach (var old in _taken.Where(pair => pair.Value.Ticks < ticks).Select(pair => pair.Key).ToList()) _taken.Remove(old);
        }
    }
}
