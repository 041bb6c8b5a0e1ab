using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Storage;

namespace MonarchLogs.Web.Api
{
    /// <summary>
    /// A partition the answer left out because it cannot be read (a key of another type, a key
    /// the viewer's user may not read, a bad registry entry): the <c>warnings</c> of api/logs and
    /// api/stats, and the <c>warning</c> events of api/stream. The rest of the answer is complete.
    /// </summary>
    internal sealed record ViewerWarning(string ErrorId, string Partition, string Message)
    {
        public static ViewerWarning From(PartitionError error) => new ViewerWarning(error.ErrorId, error.Target, error.Error.Message);

        /// <summary>Each reported error once, in the order reported.</summary>
        public static IReadOnlyList<ViewerWarning> From(ConcurrentQueue<PartitionError> errors) =>
            errors.GroupBy(e => e.Key).Select(g => From(g.First())).ToList();
    }
}
