using System;
using System.Linq;
using Microsoft.Extensions.Options;
using MonarchLogs.Core.Format;

namespace MonarchLogs.Logging
{
    /// <summary>Rejects bad options when the provider starts, with one clear line per problem.</summary>
    internal sealed class MonarchValkeyLoggerOptionsValidator : IValidateOptions<MonarchValkeyLoggerOptions>
    {
        private readonly SharedStoreConfiguration _shared;

        public MonarchValkeyLoggerOptionsValidator(SharedStoreConfiguration shared) => _shared = shared;

        public ValidateOptionsResult Validate(string? name, MonarchValkeyLoggerOptions options)
        {
            // Where the store lives: the same checks, and the same lines, as for the viewer, each
            // naming the key its value came from (the shared Valkey section or the provider's own).
            var failures = options.Problems(_shared.KeyOf).ToList();

            if (options.Service is not null && !StorageFormat.IsValidServiceName(options.Service))
            {
                failures.Add($"Logging:MonarchValkey:Service must be 1 to {StorageFormat.MaxServiceNameLength} characters without control characters; got '{options.Service}'.");
            }

            if (options.BufferCapacity < 1) failures.Add($"Logging:MonarchValkey:BufferCapacity must be at least 1; got {options.BufferCapacity}.");
            if (options.MaxBatchSize < 1) failures.Add($"Logging:MonarchValkey:MaxBatchSize must be at least 1; got {options.MaxBatchSize}.");
            if (options.BacklogBatchSize < 0) failures.Add($"Logging:MonarchValkey:BacklogBatchSize must not be negative; got {options.BacklogBatchSize}.");
            if (options.BatchDelay < TimeSpan.Zero) failures.Add("Logging:MonarchValkey:BatchDelay must not be negative.");
            if (options.MinRetryDelay <= TimeSpan.Zero) failures.Add("Logging:MonarchValkey:MinRetryDelay must be positive.");
            if (options.MaxRetryDelay < options.MinRetryDelay) failures.Add("Logging:MonarchValkey:MaxRetryDelay must not be less than MinRetryDelay.");
            if (options.RetryTimeLimit <= TimeSpan.Zero) failures.Add("Logging:MonarchValkey:RetryTimeLimit must be positive.");
            if (options.MaxServices < 1) failures.Add($"Logging:MonarchValkey:MaxServices must be at least 1; got {options.MaxServices}.");
            if (options.MaxMessageLength < 256) failures.Add($"Logging:MonarchValkey:MaxMessageLength must be at least 256; got {options.MaxMessageLength}.");
            if (options.MaxExceptionLength < 256) failures.Add($"Logging:MonarchValkey:MaxExceptionLength must be at least 256; got {options.MaxExceptionLength}.");
            if (options.MaxPropertiesLength < 256) failures.Add($"Logging:MonarchValkey:MaxPropertiesLength must be at least 256; got {options.MaxPropertiesLength}.");
            if (options.MaxEntryLength < 4096) failures.Add($"Logging:MonarchValkey:MaxEntryLength must be at least 4096; got {options.MaxEntryLength}.");
            if (options.ServicePropertyName is { Length: > 0 } property && string.IsNullOrWhiteSpace(property)) failures.Add("Logging:MonarchValkey:ServicePropertyName must not be blank.");
            if (options.ReplicaAcknowledgements < 0) failures.Add($"Logging:MonarchValkey:ReplicaAcknowledgements must not be negative; got {options.ReplicaAcknowledgements}.");
            if (options.ReplicaAcknowledgementTimeout <= TimeSpan.Zero) failures.Add("Logging:MonarchValkey:ReplicaAcknowledgementTimeout must be positive.");
            if (options.FlushTimeout < TimeSpan.Zero) failures.Add("Logging:MonarchValkey:FlushTimeout must not be negative.");
            if (options.ProcessExitFlushTimeout < TimeSpan.Zero) failures.Add("Logging:MonarchValkey:ProcessExitFlushTimeout must not be negative.");
            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }
}
