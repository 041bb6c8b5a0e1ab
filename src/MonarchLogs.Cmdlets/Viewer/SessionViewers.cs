using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation.Runspaces;
using System.Threading.Tasks;

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

        /// <summary>
        /// Stops the viewers of this session, or of every session with <paramref name="allSessions"/>
        /// (the module is removed), all at once: each is asked to shut down and killed after <paramref name="grace"/>.
        /// </summary>
        public static void StopAll(bool allSessions, TimeSpan grace)
        {
            var stopping = new List<ViewerProcess>();
            lock (Gate)
            {
                foreach (var session in allSessions ? Viewers.Keys.ToList() : new List<Guid> { Session })
                {
                    if (!Viewers.TryGetValue(session, out var list)) continue;
                    stopping.AddRange(list.Select(v => v.Process));
                    Viewers.Remove(session);
                }
            }

            var stops = stopping.Select(process => Task.Run(() => process.Stop(grace))).ToArray();
            try
            {
                Task.WaitAll(stops);
            }
            catch (AggregateException)
            {
                // A viewer that cannot be stopped is the operating system's to end; removing the module goes on.
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
