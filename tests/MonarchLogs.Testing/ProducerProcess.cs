using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;

namespace MonarchLogs.Testing
{
    /// <summary>
    /// One run of the test producer (tests/MonarchLogs.TestProducer) as a process of its own:
    /// started with <c>dotnet</c>, its JSON lines read as they come, its stdin used to let it go
    /// after <c>--wait</c>, and its result parsed when it exits.
    /// </summary>
    public sealed class ProducerProcess : IDisposable
    {
        private const string AssemblyName = "MonarchLogs.TestProducer";
        private readonly Process _process;
        private readonly List<string> _lines = new List<string>();
        private readonly StringBuilder _errors = new StringBuilder();
        private readonly Task _reading;

        private ProducerProcess(Process process)
        {
            _process = process;
            _process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is null) return;
                lock (_errors) _errors.AppendLine(e.Data);
            };
            _process.BeginErrorReadLine();
            _reading = Task.Run(ReadLinesAsync);
        }

        public int Id => _process.Id;

        /// <summary>Starts the producer with these arguments (ProducerOptions in the producer names them).</summary>
        public static ProducerProcess Start(IEnumerable<string> arguments)
        {
            var start = new ProcessStartInfo("dotnet")
            {
                UseShellExecute = false,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            start.ArgumentList.Add(FindAssembly());
            foreach (var argument in arguments) start.ArgumentList.Add(argument);
            start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
            return new ProducerProcess(Process.Start(start) ?? throw new IOException("dotnet did not start the producer."));
        }

        /// <summary>Waits for the JSON line <c>{"event":"<paramref name="name"/>", ...}</c>.</summary>
        public async Task<JsonElement> WaitForEventAsync(string name, TimeSpan timeout)
        {
            var clock = Stopwatch.StartNew();
            while (true)
            {
                if (TryFindEvent(name, out var found)) return found;
                if (_reading.IsCompleted)
                {
                    await _reading.ConfigureAwait(false);
                    if (TryFindEvent(name, out found)) return found;
                    throw new InvalidOperationException($"The producer ended without \"{name}\": {Describe()}");
                }

                if (clock.Elapsed > timeout) throw new TimeoutException($"The producer said no \"{name}\" within {timeout}: {Describe()}");
                await Task.Delay(20).ConfigureAwait(false);
            }
        }

        /// <summary>Whether the producer has said <c>{"event":"<paramref name="name"/>", ...}</c> yet.</summary>
        public bool HasSaid(string name) => TryFindEvent(name, out _);

        /// <summary>Lets a producer started with <c>--wait</c> begin logging.</summary>
        public void Go()
        {
            _process.StandardInput.WriteLine("go");
            _process.StandardInput.Flush();
        }

        /// <summary>Waits for the producer to exit and returns its counts.</summary>
        public async Task<ProducerResult> WaitForResultAsync(TimeSpan timeout)
        {
            using var cancel = new CancellationTokenSource(timeout);
            try
            {
                await _process.WaitForExitAsync(cancel.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"The producer did not exit within {timeout}: {Describe()}");
            }

            await _reading.ConfigureAwait(false);
            if (_process.ExitCode != 0 || !TryFindEvent("result", out var result))
            {
                throw new InvalidOperationException($"The producer failed (exit code {_process.ExitCode}): {Describe()}");
            }

            return new ProducerResult(result);
        }

        /// <summary>What the producer said so far, for assertion messages.</summary>
        public string Describe()
        {
            string lines, errors;
            lock (_lines) lines = string.Join(Environment.NewLine, _lines);
            lock (_errors) errors = _errors.ToString();
            return lines + (errors.Length > 0 ? Environment.NewLine + "stderr: " + errors : string.Empty);
        }

        public void Dispose()
        {
            try
            {
                if (!_process.HasExited)
                {
                    _process.Kill(entireProcessTree: true);
                    _process.WaitForExit(5000);
                }
            }
            catch (InvalidOperationException)
            {
            }

            _process.Dispose();
        }

        private async Task ReadLinesAsync()
        {
            while (await _process.StandardOutput.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                lock (_lines) _lines.Add(line);
            }
        }

        private bool TryFindEvent(string name, out JsonElement found)
        {
            string[] lines;
            lock (_lines) lines = _lines.ToArray();
            foreach (var line in lines)
            {
                if (!line.StartsWith("{", StringComparison.Ordinal)) continue;
                using var document = JsonDocument.Parse(line);
                if (document.RootElement.TryGetProperty("event", out var kind) && kind.GetString() == name)
                {
                    found = document.RootElement.Clone();
                    return true;
                }
            }

            found = default;
            return false;
        }

        /// <summary>
        /// The producer's assembly, built with the solution: next to the calling test assembly if
        /// it was copied there, else in its own project's output of the same configuration.
        /// </summary>
        private static string FindAssembly()
        {
            var here = AppContext.BaseDirectory;
            var beside = Path.Combine(here, AssemblyName + ".dll");
            if (File.Exists(beside) && File.Exists(Path.Combine(here, AssemblyName + ".runtimeconfig.json"))) return beside;

            // .../tests/<TestProject>/bin/<Configuration>/<TargetFramework>/
            var framework = new DirectoryInfo(here.TrimEnd(Path.DirectorySeparatorChar));
            var configuration = framework.Parent!.Name;
            for (var folder = framework; folder is not null; folder = folder.Parent)
            {
                if (!File.Exists(Path.Combine(folder.FullName, "MonarchLogs.sln"))) continue;
                var built = Path.Combine(folder.FullName, "tests", AssemblyName, "bin", configuration, framework.Name, AssemblyName + ".dll");
                if (File.Exists(built)) return built;
                throw new FileNotFoundException($"The test producer is not built; build the solution ({built}).", built);
            }

            throw new FileNotFoundException("The test producer was found neither beside the tests nor under the repository root.");
        }
    }

    /// <summary>The counts a producer printed when it was done: the provider's counters and its drops by reason.</summary>
    public sealed class ProducerResult
    {
        public ProducerResult(JsonElement result)
        {
            Json = result.GetRawText();
            Producer = result.GetProperty("producer").GetString()!;
            Service = result.GetProperty("service").GetString()!;
            Logged = result.GetProperty("logged").GetInt64();
            LoggedErrors = result.GetProperty("loggedErrors").GetInt64();
            Written = result.GetProperty("written").GetInt64();
            Dropped = result.GetProperty("dropped").GetInt64();
            Buffered = result.GetProperty("buffered").GetInt64();
            WriteFailures = result.GetProperty("writeFailures").GetInt64();
            PartitionsSetAside = result.GetProperty("partitionsSetAside").GetInt64();
            DroppedBy = result.GetProperty("droppedBy").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64(), StringComparer.Ordinal);
            MeteredDroppedBy = result.GetProperty("meteredDroppedBy").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64(), StringComparer.Ordinal);
            ProcessExitFlushTimeouts = result.GetProperty("processExitFlushTimeouts").GetInt64();
        }

        public string Producer { get; }

        public string Service { get; }

        /// <summary>Entries the producer logged, a warm-up entry included.</summary>
        public long Logged { get; }

        public long LoggedErrors { get; }

        /// <summary><c>EntriesWritten</c>: acknowledged by Valkey, the writer's drop notices included.</summary>
        public long Written { get; }

        /// <summary><c>EntriesDropped</c>: the sum of <see cref="DroppedBy"/>.</summary>
        public long Dropped { get; }

        /// <summary><c>EntriesBuffered</c> after the provider was disposed.</summary>
        public long Buffered { get; }

        /// <summary>Write attempts that failed and were retried (EventSource event WriteFailed).</summary>
        public long WriteFailures { get; }

        public long PartitionsSetAside { get; }

        /// <summary>Entries not stored, by the writer's reason (BufferFull, PartitionRefused, ...): every reason, zeros included.</summary>
        public IReadOnlyDictionary<string, long> DroppedBy { get; }

        /// <summary>Entries not stored by reason as the provider's meter counted them (monarchlogs.entries.dropped): the reasons measured only.</summary>
        public IReadOnlyDictionary<string, long> MeteredDroppedBy { get; }

        /// <summary>Process-exit flushes that left entries unwritten (EventSource event ProcessExitFlushTimedOut).</summary>
        public long ProcessExitFlushTimeouts { get; }

        /// <summary>The result line as printed.</summary>
        public string Json { get; }

        public long DroppedFor(string reason) => DroppedBy[reason];

        public override string ToString() => Json;
    }
}
