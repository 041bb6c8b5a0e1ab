using System;
using System.Collections.Generic;
using MonarchLogs.Core;

namespace MonarchLogs.Logging.Writing
{
    /// <summary>
    /// Partitions (and the whole store) that refused writes for good, set aside so that they cost
    /// their own entries only: while set aside, their entries are dropped and counted at once;
    /// after a wait that doubles up to the most, one batch tries again.
    /// </summary>
    internal sealed class SetAside
    {
        public const string Store = "";
        private readonly TimeSpan _first;
        private readonly TimeSpan _most;
        private readonly Dictionary<string, State> _states = new Dictionary<string, State>(StringComparer.Ordinal);

        public SetAside(TimeSpan first, TimeSpan most)
        {
            _first = first;
            _most = most;
        }

        private volatile int _count;

        public int Count => _count;

        /// <summary>Whether entries of this key must be dropped now; false when it is healthy or due for a try.</summary>
        public bool IsBlocked(string key, DateTime now, out MonarchLogsException? error)
        {
            error = null;
            if (_count == 0) return false;
            lock (_states)
            {
                if (!_states.TryGetValue(key, out var state)) return false;
                error = state.Error;
                return now < state.RetryAt;
            }
        }

        /// <summary>Sets the key aside after a permanent failure, or keeps it aside longer after another.</summary>
        public void Refused(string key, MonarchLogsException error, DateTime now)
        {
            lock (_states)
            {
                var wait = _states.TryGetValue(key, out var state) ? TimeSpan.FromTicks(Math.Min(state.Wait.Ticks * 2, _most.Ticks)) : _first;
                _states[key] = new State(error, wait, now + wait);
                _count = _states.Count;
            }
        }

        /// <summary>The key took a write again.</summary>
        public bool Healed(string key)
        {
            if (_count == 0) return false;
            lock (_states)
            {
                var removed = _states.Remove(key);
                _count = _states.Count;
                return removed;
            }
        }

        private sealed class State
        {
            public State(MonarchLogsException error, TimeSpan wait, DateTime retryAt)
            {
                Error = error;
                Wait = wait;
                RetryAt = retryAt;
            }

            public MonarchLogsException Error { get; }

            public TimeSpan Wait { get; }

            public DateTime RetryAt { get; }
        }
    }
}
