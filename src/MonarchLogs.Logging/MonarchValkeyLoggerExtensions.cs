using System;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Configuration;
using Microsoft.Extensions.Options;

namespace MonarchLogs.Logging
{
    /// <summary>Registers the Valkey provider with <c>builder.Logging.AddMonarchValkey()</c>.</summary>
    public static class MonarchValkeyLoggerExtensions
    {
        /// <summary>
        /// Adds the Valkey provider, configured from the shared <c>Valkey</c> section (where the
        /// store lives: ConnectionString, Prefix, User, Password, TrustedCertificateAuthorityPath;
        /// the web viewer reads it too), then from <c>Logging:MonarchValkey</c> (any of those, which
        /// win, and Service, BufferCapacity, ...).
        /// </summary>
        public static ILoggingBuilder AddMonarchValkey(this ILoggingBuilder builder)
        {
            if (builder is null) throw new ArgumentNullException(nameof(builder));
            builder.AddConfiguration();
            builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<ILoggerProvider, MonarchValkeyLoggerProvider>());
            builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MonarchValkeyLoggerOptions>, MonarchValkeyLoggerOptionsValidator>(
                services => new MonarchValkeyLoggerOptionsValidator(new SharedStoreConfiguration(services.GetService<IConfiguration>()))));
            // Before the provider's own section is bound: options are configured in the order registered.
            builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<MonarchValkeyLoggerOptions>, SharedStoreConfiguration>(
                services => new SharedStoreConfiguration(services.GetService<IConfiguration>())));
            LoggerProviderOptions.RegisterProviderOptions<MonarchValkeyLoggerOptions, MonarchValkeyLoggerProvider>(builder.Services);
            return builder;
        }

        /// <summary>Adds the Valkey provider, then applies <paramref name="configure"/> over the configuration.</summary>
        public static ILoggingBuilder AddMonarchValkey(this ILoggingBuilder builder, Action<MonarchValkeyLoggerOptions> configure)
        {
            if (configure is null) throw new ArgumentNullException(nameof(configure));
            builder.AddMonarchValkey();
            builder.Services.Configure(configure);
            return builder;
        }
    }
}
