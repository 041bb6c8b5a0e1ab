using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation.Runspaces;

namespace MonarchLogs.Cmdlets.Viewer
{
    /// <summary>
    /// The viewers started in each session (runspace) of this process, so that
    /// Stop-MonarchLogViewer stops only its own session's viewers. Holding the
    /// <see cref="ViewerProcess"/> also holds the viewer's standard input open, which keeps it running.
    /// </summary>
    internal static class SessionViewers
    {
        private static readonly object Gate = new object();
        private static readonly Dictionary<Guid, List<(ViewerProcess Process, MonarchLogViewerInfo Info)>> Viewers =
            new Dictionary<Guid, List<(ViewerProcess, MonarchLogViewerInfo)>>();

        private static Guid Session => Runspace.DefaultRunspace?.InstanceId ?? Guid.Empty;

        public static void Add(ViewerProcess process, MonarchLogViewerInfo info)
        {
            lock (Gate)
            {
                if (!Viewers.TryGetValue(Session, out var list)) Viewers[Session] = list = new List<(ViewerProcess, MonarchLogViewerInfo)>();
                list.Add((process, info));
            }
        }

        /// <summary>This session's viewers, in the order they were started.</summary>
        public static IReadOnlyList<(ViewerProcess Process, MonarchLogViewerInfo Info)> Current()
        {
            lock (Gate)
            {
                return Viewers.TryGetValue(Session, out var list) ? list.ToList() : new List<(ViewerProcess, MonarchLogViewerInfo)>();
            }
        }

        public static void Remove(ViewerProcess process)
        {
            lock (Gate)
            {
                if (Viewers.TryGetValue(Session, out var list)) list.RemoveAll(v => ReferenceEquals(v.Process, process));
            }
        }
    }
}
