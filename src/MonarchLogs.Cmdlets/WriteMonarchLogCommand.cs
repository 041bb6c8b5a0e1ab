using System;
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using MonarchLogs.Cmdlets.Arguments;
using MonarchLogs.Cmdlets.Display;
using MonarchLogs.Cmdlets.Infrastructure;
using MonarchLogs.Core;
using MonarchLogs.Core.Append;
using MonarchLogs.Core.Format;
using MonarchLogs.Core.Storage;

namespace MonarchLogs.Cmdlets
{
    /// <summary>
    /// Appends entries to the store from a script: one from the parameters, or one per pipeline
    /// object by property name (Import-Csv rows, Get-MonarchLog entries). Entries go through the
    /// store engine's append path, as the logging provider's do, in batches of
    /// <see cref="BatchSize"/>. An entry that is not valid costs that entry (a non-terminating
    /// error); a partition the store refuses costs its entries of the batch, with the
    /// StoreErrors id; the others are written.
    /// </summary>
    /// <remarks>
    /// Level and Service are checked here rather than by validation attributes: for a pipeline
    /// object a failed attribute is PowerShell's binding error, with an id of its own; here each
    /// bad object is one error with a stable id, and the pipeline goes on.
    /// </remarks>
    [Cmdlet(VerbsCommunications.Write, "MonarchLog", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
    [OutputType(typeof(MonarchLogRecord))]
    public sealed class WriteMonarchLogCommand : MonarchCommandBase
    {
        /// <summary>Entries sent in one append.</summary>
        public const int BatchSize = 1000;

        private static readonly string LocalHost = Environment.MachineName;
        private readonly List<MonarchLogEntry> _pending = new List<MonarchLogEntry>(BatchSize);
        private LogStore? _store;

        [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
        [AllowEmptyString]
        [AllowNull]
        public string Message { get; set; } = string.Empty;

        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(LogLevelCompleter))]
        [AllowEmptyString]
        [AllowNull]
        public string Level { get; set; } = "Information";

        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(ServiceCompleter))]
        [AllowEmptyString]
        [AllowNull]
        public string Service { get; set; } = null!;

        [Parameter(ValueFromPipelineByPropertyName = true)]
        [AllowEmptyString]
        [AllowNull]
        public string Category { get; set; } = string.Empty;

        /// <summary>A hashtable (or any dictionary or object) of named values, or the JSON object text of Get-MonarchLog's Properties.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [AllowEmptyString]
        [AllowNull]
        public object Properties { get; set; } = null!;

        /// <summary>The exception: its text, an Exception, or an ErrorRecord ($_ in a catch block).</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [AllowEmptyString]
        [AllowNull]
        public object Exception { get; set; } = null!;

        [Parameter(ValueFromPipelineByPropertyName = true)]
        [AllowEmptyString]
        [AllowNull]
        public string ExceptionType { get; set; } = null!;

        [Parameter(ValueFromPipelineByPropertyName = true)]
        [AllowEmptyString]
        [AllowNull]
        public string ExceptionMessage { get; set; } = null!;

        /// <summary>The event time; now when not given.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [TimeTransformation]
        public DateTime Timestamp { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true)]
        public int EventId { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true)]
        [AllowEmptyString]
        [AllowNull]
        public string EventName { get; set; } = string.Empty;

        [Parameter(ValueFromPipelineByPropertyName = true)]
        [AllowEmptyString]
        [AllowNull]
        public string Template { get; set; } = string.Empty;

        [Parameter(ValueFromPipelineByPropertyName = true)]
        [AllowEmptyString]
        [AllowNull]
        public string TraceId { get; set; } = string.Empty;

        [Parameter(ValueFromPipelineByPropertyName = true)]
        [AllowEmptyString]
        [AllowNull]
        public string SpanId { get; set; } = string.Empty;

        /// <summary>Write each entry stored to the pipeline.</summary>
        [Parameter]
        public SwitchParameter PassThru { get; set; }

        protected override void ProcessRecord()
        {
            if (!TryBuildEntry(out var entry)) return;
            if (!ShouldProcess(TerminalText.Escape(entry.Service + "/" + LogLevels.StorageName(entry.Level)), "Write log entry")) return;
            _pending.Add(entry);
            if (_pending.Count >= BatchSize) Flush();
        }

        protected override void EndProcessing()
        {
            Flush();
        }

        private bool TryBuildEntry(out MonarchLogEntry entry)
        {
            entry = null!;
            if (!LogLevels.TryParse(Level, out var level))
            {
                WriteInputError("InvalidLogLevel", $"'{DisplayText.Quote(Level)}' is not a log level. Use Trace, Debug, Information (Info), Warning (Warn), Error or Critical (Fatal).", Level);
                return false;
            }

            if (!StorageFormat.IsValidServiceName(Service))
            {
                WriteInputError("InvalidService", string.IsNullOrEmpty(Service)
                    ? "The entry names no service. Give -Service, or a Service property on the pipeline object."
                    : $"'{DisplayText.Quote(Service)}' is not a service name: 1 to {StorageFormat.MaxServiceNameLength} characters without control characters.", Service);
                return false;
            }

            if (!TryReadProperties(out var properties)) return false;
            ReadException(out var exceptionText, out var exceptionType, out var exceptionMessage);
            var timestamp = MyInvocation.BoundParameters.ContainsKey(nameof(Timestamp)) ? Timestamp : DateTime.UtcNow;
            entry = new MonarchLogEntry
            {
                Timestamp = timestamp.Kind == DateTimeKind.Utc ? timestamp : timestamp.ToUniversalTime(),
                Level = level,
                Service = Service,
                Category = Category ?? string.Empty,
                Message = Message ?? string.Empty,
                Template = Template ?? string.Empty,
                EventId = EventId,
                EventName = EventName ?? string.Empty,
                ExceptionType = exceptionType,
                ExceptionMessage = exceptionMessage,
                Exception = exceptionText,
                TraceId = TraceId ?? string.Empty,
                SpanId = SpanId ?? string.Empty,
                Host = LocalHost,
                Properties = properties,
            };
            return true;
        }

        /// <summary>The props text: a JSON object as given, or the dictionary or object's properties as one.</summary>
        private bool TryReadProperties(out string properties)
        {
            properties = string.Empty;
            var value = Properties is PSObject wrapped ? wrapped.BaseObject : Properties;
            switch (value)
            {
                case null:
                    return true;
                case string text when text.Trim().Length == 0:
                    return true;
                case string text:
                    if (PropertiesJson.IsObject(text))
                    {
                        properties = text;
                        return true;
                    }

                    WriteInputError("InvalidProperties", $"-Properties '{DisplayText.Quote(text)}' is not a JSON object. Give a hashtable, or JSON object text such as {{\"OrderId\":42}}.", text);
                    return false;
                case IDictionary dictionary:
                    properties = PropertiesJson.Write(PowerShellValues.Pairs(dictionary));
                    return true;
                case PSCustomObject:
                    properties = PropertiesJson.Write(PowerShellValues.Pairs(Properties as PSObject ?? PSObject.AsPSObject(value)));
                    return true;
                default:
                    WriteInputError("InvalidProperties", $"-Properties takes a hashtable or JSON object text, not a {value.GetType().Name}.", value);
                    return false;
            }
        }

        private void ReadException(out string text, out string type, out string message)
        {
            var value = Exception is PSObject wrapped ? wrapped.BaseObject : Exception;
            if (value is ErrorRecord record) value = record.Exception;
            if (value is System.Exception exception)
            {
                text = exception.ToString();
                type = exception.GetType().FullName ?? string.Empty;
                message = exception.Message;
            }
            else
            {
                text = value is null ? string.Empty : LanguagePrimitives.ConvertTo<string>(value);
                ExceptionText.Split(text, out type, out message);
            }

            if (ExceptionType is not null) type = ExceptionType;
            if (ExceptionMessage is not null) message = ExceptionMessage;
        }

        private void WriteInputError(string errorId, string message, object? target) =>
            WriteError(new ErrorRecord(new ArgumentException(message), errorId, ErrorCategory.InvalidArgument, target));

        /// <summary>Appends what waits; a partition the store refuses is one error with its count, the others are written.</summary>
        private void Flush()
        {
            if (_pending.Count == 0) return;
            _store ??= OpenStore();
            var batch = new AppendBatch(_pending.ToArray());
            _pending.Clear();
            var result = Await(_store.Appender.AppendAsync(batch, StopToken));
            foreach (var failure in result.Failures)
            {
                var notStored = 0;
                for (var i = 0; i < batch.Count; i++)
                {
                    if (!batch.IsStored(i) && batch.Entries[i].Service == failure.Partition.Service && batch.Entries[i].Level == failure.Partition.Level) notStored++;
                }

                var error = failure.Error;
                WriteError(ToErrorRecord(new MonarchLogsException(error.ErrorId, error.Kind,
                    $"{notStored} entries for {failure.Partition} were not written: {error.Message}", error, error.IsTransient), failure.Partition.ToString()));
            }

            if (result.RegistryFailure is { } registry)
            {
                WriteWarning($"The entries were written, but the partition registry could not be updated, so readers may not list a new partition yet: {registry.Message}");
            }

            WriteVerbose($"Wrote {result.Stored} of {batch.Count} entries.");
            if (!PassThru) return;
            for (var i = 0; i < batch.Count; i++)
            {
                if (batch.IsStored(i)) WriteObject(new MonarchLogRecord(batch.Entries[i]));
            }
        }
    }
}
