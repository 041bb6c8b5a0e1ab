using System.Threading;
using System.Threading.Tasks;

namespace MonarchLogs.Core.Append
{
    /// <summary>
    /// Appends batches of entries to the store by the storage format: one server-side append per
    /// partition, so that each partition succeeds or fails on its own. An implementation sends
    /// only the entries of <see cref="AppendBatch"/> not yet settled, marks each one the server
    /// took, and reports a partition the server refused in <see cref="AppendResult.Failures"/>
    /// instead of failing the others. It throws only for what concerns the whole batch (the
    /// connection is lost, the store has another format version), and only once every reply it
    /// could read is in, so a retry with the same marks never stores an acknowledged entry twice.
    /// </summary>
    public interface ILogAppender
    {
        /// <summary>Sends the unsettled entries of <paramref name="batch"/>, one server-side append per partition, and marks each entry the server took.</summary>
        /// <param name="batch">The entries; an entry already settled is not sent again.</param>
        /// <param name="cancellationToken">Stops waiting for the replies; entries already sent may still be stored.</param>
        /// <returns>The partitions the server refused in this attempt, each with its error.</returns>
        Task<AppendResult> AppendAsync(AppendBatch batch, CancellationToken cancellationToken = default);
    }
}
