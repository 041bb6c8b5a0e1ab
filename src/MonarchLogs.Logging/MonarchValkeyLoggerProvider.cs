using System;
using System.Collections.Concurrent;
using System.Reflection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

using MonarchLogs.Logging.Writing;

namespace MonarchLogs.Logging
{
    /// <summary>
    /// Keeps every log entry in Valkey (docs/storage-format.md). Register it with
    /// <c>builder.Logging.AddMonarchValkey()</c>; it sits beside the console provider, so the
    /// service keeps logging to stdout as before.
    /// </summary>
    [ProviderAlias("MonarchValkey")]
    public sealed class MonarchValkeyLoggerProvider : ILoggerProvider, ISupportExternalScope
    {
        private readonly ConcurrentDictionary<string, MonarchValkeyLogger> _loggers = new ConcurrentDictionary<string, MonarchValkeyLogger>(StringComparer.Ordinal);
        private readonly IDisposable? _optionsReload;
        private volatile MonarchValkeyLoggerOptions _options;

        /// <summary>The provider, as dependency injection makes it; it starts the background writer.</summary>
        /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The options make no sense; the host stops at start-up.</exception>
        public MonarchValkeyLoggerProvider(IOptionsMonitor<MonarchValkeyLoggerOptions> options)
        {
            // Reading CurrentValue runs the validators: bad options stop the host at start-up.
            _options = options.CurrentValue;
            DefaultService = _options.Service ?? DefaultServiceName();
            Writer = new ValkeyLogWriter(_options, DefaultService);
            _optionsReload = options.OnChange(updated => _options = updated);
        }

        /// <summary>For use without dependency injection (tests, tools); the options are validated here.</summary>
        public MonarchValkeyLoggerProvider(MonarchValkeyLoggerOptions options)
            : this(new FixedOptionsMonitor(Validate(options)))
        {
        }

        internal MonarchValkeyLoggerOptions Options => _options;

        internal string DefaultService { get; }

        internal ValkeyLogWriter Writer { get; }

        internal IExternalScopeProvider? ScopeProvider { get; private set; }

        /// <summary>Entries written to Valkey since start, drop notices included.</summary>
        public long EntriesWritten => Writer.Written;

        /// <summary>Entries dropped since start (buffer full, or not written by the flush timeout at shutdown or at process exit).</summary>
        public long EntriesDropped => Writer.Dropped;

        /// <summary>Entries waiting to be written.</summary>
        public long EntriesBuffered => Writer.Buffered;

        /// <inheritdoc />
        public ILogger CreateLogger(string categoryName) =>
            _loggers.GetOrAdd(categoryName, name => new MonarchValkeyLogger(name, this));

        /// <inheritdoc />
        public void SetScopeProvider(IExternalScopeProvider scopeProvider) => ScopeProvider = scopeProvider;

        /// <summary>Stops taking entries and writes what is queued, waiting at most the flush timeout.</summary>
        public void Dispose()
        {
            _optionsReload?.Dispose();
            Writer.Dispose();
        }

        private static string DefaultServiceName()
        {
            var name = Assembly.GetEntryAssembly()?.GetName().Name;
            return string.IsNullOrEmpty(name) ? "unknown" : name!;
        }

        private static MonarchValkeyLoggerOptions Validate(MonarchValkeyLoggerOptions options)
        {
            var result = new MonarchValkeyLoggerOptionsValidator(new SharedStoreConfiguration(null)).Validate(Microsoft.Extensions.Options.Options.DefaultName, options);
            if (result.Failed) throw new OptionsValidationException(Microsoft.Extensions.Options.Options.DefaultName, typeof(MonarchValkeyLoggerOptions), result.Failures);
            return options;
        }

        private sealed class FixedOptionsMonitor : IOptionsMonitor<MonarchValkeyLoggerOptions>
        {
            public FixedOptionsMonitor(MonarchValkeyLoggerOptions value) => CurrentValue = value;

            public MonarchValkeyLoggerOptions CurrentValue { get; }

            public MonarchValkeyLoggerOptions Get(string? name) => CurrentValue;

            public IDisposable? OnChange(Action<MonarchValkeyLoggerOptions, string?> listener) => null;
        }
    }
}
