using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace MonarchLogs.Core.Storage
{
    /// <summary>
    /// Appends batches of entries to the store by the storage format. An implementation sends
    /// only the entries not yet marked in <c>stored</c>, marks each one the server took, and when
    /// some fail throws only once every reply it could read is in, so a retry of the same batch
    /// with the same marks never stores an acknowledged entry twice.
    /// </summary>
    public interface ILogAppender
    {
        /// <summary>Returns the number of entries this call stored.</summary>
        Task<int> AppendAsync(IReadOnlyList<MonarchLogEntry> entries, bool[] stored, CancellationToken cancellationToken = default);
    }
}
