using System;

namespace MonarchLogs.Core.Format.Blocks
{
    /// <summary>
    /// The distinct token hashes of one block (<see cref="BlockTokens"/>), which size its Bloom
    /// filter: an open-addressing table of the hashes (already well mixed, so their low bits pick
    /// the slot) beside the list of them in the order added. Emptied per block in time proportional
    /// to what it held, and made small again after a block that filled only a sliver of it, so
    /// that one large block does not slow the small ones after it (a large table misses the cache).
    /// One instance per encoder.
    /// </summary>
    internal sealed class TokenSet
    {
        private const int MinSlots = 256;
        private ulong[] _slots = new ulong[MinSlots];
        private ulong[] _items = new ulong[128];
        private int _count;
        private bool _hasZero;

        /// <summary>How many distinct hashes the set holds.</summary>
        public int Count => _count;

        /// <summary>The distinct hashes, in the order first added.</summary>
        public ReadOnlySpan<ulong> Items => new ReadOnlySpan<ulong>(_items, 0, _count);

        /// <summary>Adds a hash; false when the set held it already.</summary>
        public bool Add(ulong hash)
        {
            if (hash == 0)
            {
                // Zero marks an empty slot: the one hash that is zero is kept aside.
                if (_hasZero) return false;
                _hasZero = true;
                Append(0);
                return true;
            }

            var mask = _slots.Length - 1;
            for (var i = (int)hash & mask; ; i = (i + 1) & mask)
            {
                var slot = _slots[i];
                if (slot == hash) return false;
                if (slot != 0) continue;
                _slots[i] = hash;
                Append(hash);
                if (_count * 2 > _slots.Length) Grow();
                return true;
            }
        }

        public bool Contains(ulong hash)
        {
            if (hash == 0) return _hasZero;
            var mask = _slots.Length - 1;
            for (var i = (int)hash & mask; ; i = (i + 1) & mask)
            {
                var slot = _slots[i];
                if (slot == hash) return true;
                if (slot == 0) return false;
            }
        }

        public void Clear()
        {
            if (_slots.Length > MinSlots && _count * 32 < _slots.Length)
            {
                var slots = MinSlots;
                while (slots < _count * 4) slots *= 2;
                _slots = new ulong[slots];
            }
            else if (_count * 8 < _slots.Length)
            {
                // Few hashes in a large table: empty just their slots (zeroing them all, so no
                // probe chain is broken for one still to be found).
                var mask = _slots.Length - 1;
                for (var n = 0; n < _count; n++)
                {
                    var hash = _items[n];
                    if (hash == 0) continue;
                    var i = (int)hash & mask;
                    while (_slots[i] != hash) i = (i + 1) & mask;
                    _slots[i] = 0;
                }
            }
            else
            {
                Array.Clear(_slots, 0, _slots.Length);
            }

            _count = 0;
            _hasZero = false;
        }

        private void Append(ulong hash)
        {
            if (_count == _items.Length) Array.Resize(ref _items, _items.Length * 2);
            _items[_count++] = hash;
        }

        private void Grow()
        {
            _slots = new ulong[_slots.Length * 2];
            var mask = _slots.Length - 1;
            for (var n = 0; n < _count; n++)
            {
                var hash = _items[n];
                if (hash == 0) continue;
                var i = (int)hash & mask;
                while (_slots[i] != 0) i = (i + 1) & mask;
                _slots[i] = hash;
            }
        }
    }
}
