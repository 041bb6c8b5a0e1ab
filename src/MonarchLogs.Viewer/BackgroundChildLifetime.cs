using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Hosting;

namespace MonarchLogs.Viewer
{
    /// <summary>
    /// The lifetime of a viewer that another program runs in the background (Start-MonarchLogViewer
    /// sets <c>Viewer:Background</c>). The parent keeps the viewer's standard input open and never
    /// writes to it: when the input ends, because the parent closed it to stop the viewer or
    /// because the parent itself ended or crashed, the viewer stops. Ctrl+C in the parent's
    /// terminal reaches every process of its group, this one too, and is ignored, so it
    /// interrupts the parent's command and not the viewer; SIGTERM still stops it.
    /// </summary>
    internal sealed class BackgroundChildLifetime : IHostLifetime, IDisposable
    {
        private readonly IHostApplicationLifetime _lifetime;
        private PosixSignalRegistration? _interrupt;
        private PosixSignalRegistration? _quit;
        private PosixSignalRegistration? _terminate;

        public BackgroundChildLifetime(IHostApplicationLifetime lifetime) => _lifetime = lifetime;

        public Task WaitForStartAsync(CancellationToken cancellationToken)
        {
            _interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => context.Cancel = true);
            _quit = PosixSignalRegistration.Create(PosixSignal.SIGQUIT, context => context.Cancel = true);
            _terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
            {
                context.Cancel = true;
                _lifetime.StopApplication();
            });

            // A blocking read on a thread of its own: standard input offers no reliable async read
            // on every platform, and the thread must not keep the process alive.
            var watcher = new Thread(WatchInput) { IsBackground = true, Name = "MonarchLogs viewer: parent watch" };
            watcher.Start();
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public void Dispose()
        {
            _interrupt?.Dispose();
            _quit?.Dispose();
            _terminate?.Dispose();
        }

        private void WatchInput()
        {
            try
            {
                using var input = Console.OpenStandardInput();
                var buffer = new byte[256];
                while (input.Read(buffer, 0, buffer.Length) > 0)
                {
                }
            }
            catch (IOException)
            {
                // A broken input is an ended one.
            }

            _lifetime.StopApplication();
        }
    }
}
