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
        Task<AppendResult> AppendAsync(AppendBatch batch, CancellationToken cancellationToken = default);
    }
}
