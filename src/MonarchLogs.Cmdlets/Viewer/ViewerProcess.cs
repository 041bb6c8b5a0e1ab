using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;

namespace MonarchLogs.Cmdlets.Viewer
{
    /// <summary>
    /// One viewer child process. Its standard input stays open and unused for as long as this
    /// object lives: the viewer (Viewer:Background) stops when it ends, so closing it is the
    /// graceful stop, and a PowerShell process that ends or crashes takes its viewers with it.
    /// Its output is read all the time, so that a chatty viewer never blocks on a full pipe;
    /// the first lines of its error output are kept to explain an early exit.
    /// </summary>
    internal sealed class ViewerProcess
    {
        private const int KeptErrorLines = 20;
        private readonly Process _process;
        private readonly List<string> _errorLines = new List<string>();

        public ViewerProcess(Process process, int port)
        {
            _process = process;
            Port = port;
            _process.OutputDataReceived += (_, _) => { };
            _process.ErrorDataReceived += (_, e) => KeepErrorLine(e.Data);
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
            Id = process.Id;
            StartTime = process.StartTime;
        }

        public int Id { get; }

        public int Port { get; }

        public DateTime StartTime { get; }

        public Uri Url => new Uri($"http://127.0.0.1:{Port}/");

        public bool HasExited => _process.HasExited;

        /// <summary>What the viewer wrote to standard error before it exited, for the error record.</summary>
        public (int ExitCode, string? Message) ExitReport()
        {
            _process.WaitForExit(); // also waits until the output readers have seen the end
            lock (_errorLines)
            {
                // The viewer writes "monarchlogs-viewer: <reason>"; the dotnet host writes several lines, the first says why.
                var line = _errorLines.FirstOrDefault(l => l.StartsWith("monarchlogs-viewer:", StringComparison.Ordinal))
                    ?? _errorLines.FirstOrDefault(l => l.Trim().Length > 0);
                return (_process.ExitCode, line?.Trim());
            }
        }

        /// <summary>Closes the viewer's input, so that it shuts down by itself; kills it when it has not within <paramref name="grace"/>.</summary>
        public void Stop(TimeSpan grace)
        {
            if (!_process.HasExited)
            {
                try
                {
                    _process.StandardInput.Close();
                }
                catch (IOException)
                {
                    // The viewer has just gone; nothing to close.
                }

                if (!_process.WaitForExit((int)grace.TotalMilliseconds)) KillNow();
            }

            _process.WaitForExit();
            _process.Dispose();
        }

        /// <summary>Kills a viewer that did not start as it should.</summary>
        public void Kill()
        {
            KillNow();
            _process.Dispose();
        }

        private void KillNow()
        {
            try
            {
                if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // It exited meanwhile.
            }

            _process.WaitForExit();
        }

        private void KeepErrorLine(string? line)
        {
            if (line is null) return;
            lock (_errorLines)
            {
                if (_errorLines.Count < KeptErrorLines) _errorLines.Add(line);
            }
        }
    }
}
