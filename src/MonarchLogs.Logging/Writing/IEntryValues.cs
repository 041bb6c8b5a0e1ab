namespace MonarchLogs.Logging.Writing
{
    /// <summary>
    /// Where <see cref="MessageState.AddValues{TState}"/> puts a log call's template and values:
    /// the captured entry on the caller's thread, or the writer's <see cref="EntryView"/> of it.
    /// </summary>
    internal interface IEntryValues
    {
        string? Template { get; set; }

        /// <summary>Makes room for <paramref name="more"/> properties at once.</summary>
        void ReserveProperties(int more);

        void AddProperty(string key, object? value);
    }
}
