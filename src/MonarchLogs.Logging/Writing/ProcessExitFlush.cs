using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;

namespace MonarchLogs.Logging.Writing
{
    /// <summary>
    /// A program may return from Main without disposing its host, and so its providers: what they
    /// hold then (often all they were given, before the first connect) would go with the process,
    /// uncounted. So every writer not yet disposed is stopped at process exit, as Dispose would,
    /// within its <see cref="MonarchValkeyLoggerOptions.ProcessExitFlushTimeout"/>, and what is left
    /// is counted. One handler for all writers, which stop side by side: the exit waits for the
    /// longest of their timeouts, not for their sum.
    /// </summary>
    internal static class ProcessExitFlush
    {
        private static readonly ConcurrentDictionary<ValkeyLogWriter, byte> Writers = new ConcurrentDictionary<ValkeyLogWriter, byte>();

        static ProcessExitFlush()
        {
            AppDomain.CurrentDomain.ProcessExit += (_, _) => Stop(Writers.Keys);
        }

        public static void Register(ValkeyLogWriter writer) => Writers.TryAdd(writer, 0);

        /// <summary>The writer is stopping by itself (disposed): the process exit has nothing more to do for it.</summary>
        public static void Unregister(ValkeyLogWriter writer) => Writers.TryRemove(writer, out _);

        /// <summary>
        /// Stops the writers side by side, each bounded by its own timeout. Each waits on a thread
        /// of its own: blocked, they would hold the pool threads that the writer loops need.
        /// </summary>
        internal static void Stop(IEnumerable<ValkeyLogWriter> writers)
        {
            var stopping = writers.Select(writer => new Thread(() => StopOne(writer)) { IsBackground = true, Name = "MonarchLogs process-exit flush" }).ToList();
            foreach (var thread in stopping) thread.Start();
            foreach (var thread in stopping) thread.Join();
        }

        // An exception on a thread of its own would end the process with a crash report at exit.
        private static void StopOne(ValkeyLogWriter writer)
        {
            try
            {
                writer.StopAtProcessExit();
            }
            catch (Exception ex)
            {
                MonarchLogsEventSource.Log.WriterRestarted(writer.Service, 0, "The flush at process exit failed: " + SafeText.Describe(ex));
            }
        }
    }
}
