using System;
using System.Collections.Generic;
using System.Globalization;

namespace MonarchLogs.TestProducer
{
    /// <summary>The producer's command line: <c>--name value</c> pairs, and <c>--wait</c> and <c>--exit-without-dispose</c> on their own.</summary>
    internal sealed class ProducerOptions
    {
        public string ConnectionString { get; private set; } = "";

        public string KeyPrefix { get; private set; } = "";

        public string Service { get; private set; } = "";

        /// <summary>First part of every message, <c>&lt;producer&gt;:&lt;thread&gt;:&lt;seq&gt;</c>; the service by default.</summary>
        public string Producer { get; private set; } = "";

        /// <summary>Entries in all, shared among the threads.</summary>
        public int Entries { get; private set; } = 1000;

        public int Threads { get; private set; } = 1;

        /// <summary>Entries a second over all threads; 0 logs as fast as the threads can.</summary>
        public double Rate { get; private set; }

        /// <summary>Every this many entries of a thread (seq 0, k, 2k, ...) is logged as an error; 0 logs information only.</summary>
        public int ErrorEvery { get; private set; }

        /// <summary>Log one warm-up entry, wait until it is written, say "ready", and wait for a line on stdin.</summary>
        public bool Wait { get; private set; }

        /// <summary>
        /// Run as a small web program that ends without disposing its host: log one entry, start
        /// and stop the app, return from Main; the result is printed at process exit.
        /// </summary>
        public bool ExitWithoutDispose { get; private set; }

        public int? BufferCapacity { get; private set; }

        public int? MaxBatchSize { get; private set; }

        public TimeSpan? BatchDelay { get; private set; }

        public TimeSpan? FlushTimeout { get; private set; }

        public TimeSpan? ProcessExitFlushTimeout { get; private set; }

        public TimeSpan? MinRetryDelay { get; private set; }

        public TimeSpan? MaxRetryDelay { get; private set; }

        public TimeSpan? RetryTimeLimit { get; private set; }

        public static ProducerOptions Parse(IReadOnlyList<string> args)
        {
            var options = new ProducerOptions();
            for (var i = 0; i < args.Count; i++)
            {
                var name = args[i];
                if (name == "--wait")
                {
                    options.Wait = true;
                    continue;
                }

                if (name == "--exit-without-dispose")
                {
                    options.ExitWithoutDispose = true;
                    continue;
                }

                if (i + 1 >= args.Count) throw new ArgumentException($"{name} needs a value.");
                var value = args[++i];
                switch (name)
                {
                    case "--connection": options.ConnectionString = value; break;
                    case "--prefix": options.KeyPrefix = value; break;
                    case "--service": options.Service = value; break;
                    case "--producer": options.Producer = value; break;
                    case "--entries": options.Entries = Positive(name, value); break;
                    case "--threads": options.Threads = Positive(name, value); break;
                    case "--rate": options.Rate = double.Parse(value, NumberStyles.Float, CultureInfo.InvariantCulture); break;
                    case "--error-every": options.ErrorEvery = int.Parse(value, CultureInfo.InvariantCulture); break;
                    case "--buffer": options.BufferCapacity = Positive(name, value); break;
                    case "--batch": options.MaxBatchSize = Positive(name, value); break;
                    case "--batch-delay-ms": options.BatchDelay = Milliseconds(value); break;
                    case "--flush-timeout-ms": options.FlushTimeout = Milliseconds(value); break;
                    case "--process-exit-flush-ms": options.ProcessExitFlushTimeout = Milliseconds(value); break;
                    case "--min-retry-ms": options.MinRetryDelay = Milliseconds(value); break;
                    case "--max-retry-ms": options.MaxRetryDelay = Milliseconds(value); break;
                    case "--retry-limit-ms": options.RetryTimeLimit = Milliseconds(value); break;
                    default: throw new ArgumentException($"Unknown option {name}.");
                }
            }

            if (options.ConnectionString.Length == 0 || options.KeyPrefix.Length == 0 || options.Service.Length == 0)
            {
                throw new ArgumentException("--connection, --prefix and --service are required.");
            }

            if (options.Producer.Length == 0) options.Producer = options.Service;
            if (options.Producer.Contains(':')) throw new ArgumentException("--producer must not contain ':' (it separates the message parts).");
            return options;
        }

        private static int Positive(string name, string value)
        {
            var number = int.Parse(value, CultureInfo.InvariantCulture);
            if (number <= 0) throw new ArgumentException($"{name} must be positive.");
            return number;
        }

        private static TimeSpan Milliseconds(string value) => TimeSpan.FromMilliseconds(double.Parse(value, NumberStyles.Float, CultureInfo.InvariantCulture));
    }
}
