using System;
using MonarchLogs.Logging.Writing;

namespace MonarchLogs.Logging
{
    /// <summary>
    /// An entry whose message, template and values are read on the writer's thread, from the state
    /// as the caller handed it over: only for a state that <see cref="DeferrableState{TState}"/>
    /// found the same whenever it is read. It spares the caller the rendering and the copying of
    /// the values, most of what a call costs it.
    /// </summary>
    internal sealed class DeferredLogEntry<TState> : PendingLogEntry
    {
        private readonly TState _state;
        private readonly Func<TState, Exception?, string> _formatter;

        public DeferredLogEntry(TState state, Func<TState, Exception?, string> formatter)
        {
            _state = state;
            _formatter = formatter;
        }

        public override void ReadMessage(EntryView view)
        {
            try
            {
                view.Message = MessageState.Render(_formatter, _state, Exception);
                MessageState.AddValues(_state, view);
            }
            catch (Exception ex)
            {
                // Both read what throws safely already; this is for what even that cannot survive.
                view.Message = $"[The log entry could not be captured: {SafeText.Describe(ex)}]";
            }
        }
    }
}
