using System.Runtime.CompilerServices;
using System.Threading;
using StackExchange.Redis;

namespace MonarchLogs.Core.Append
{
    /// <summary>
    /// How many times a connection came back after it was lost, from one
    /// <see cref="IConnectionMultiplexer.ConnectionRestored"/> handler per connection, however
    /// many appenders write through it. An appender that subscribed for itself would be kept
    /// alive by the connection for good: the PowerShell module makes one per command on a
    /// connection that lives as long as the session.
    /// </summary>
    internal sealed class Reconnects
    {
        private static readonly ConditionalWeakTable<IConnectionMultiplexer, Reconnects> ByConnection = new ConditionalWeakTable<IConnectionMultiplexer, Reconnects>();
        private long _count;

        private Reconnects()
        {
        }

        /// <summary>Reconnects so far; a number that changed means the server may be another one (a failover, a restore).</summary>
        public long Count => Interlocked.Read(ref _count);

        /// <summary>The counter of <paramref name="connection"/>, made and subscribed on first use.</summary>
        public static Reconnects Of(IConnectionMultiplexer connection)
        {
            var made = new Reconnects();
            var counter = ByConnection.GetValue(connection, _ => made);
            if (ReferenceEquals(counter, made)) connection.ConnectionRestored += (_, _) => Interlocked.Increment(ref made._count);
            return counter;
        }
    }
}
